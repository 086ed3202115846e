/**
 * The JSON Schemas in `schemas/`, generated from the Effect Schemas so they cannot drift:
 * `npm run schemas` writes them, and a unit test fails when the checked-in files differ.
 * Wire formats (event, result, dlq) allow extra properties: consumers must tolerate fields
 * added later. Config files (stream, connections) reject unknown keys, as the loader does.
 * The loader stays the authority: cross-field rules (e.g. at most 10 modules when parallel)
 * are not expressible here.
 */
import { JsonSchema, Schema } from "effect"
import { DeadLetterRecord } from "../domain/DeadLetterRecord.ts"
import { DeferredRecord } from "../domain/DeferredRecord.ts"
import { ResultRecord } from "../domain/ResultRecord.ts"
import { WebhookEvent } from "../domain/WebhookEvent.ts"
import { connectionSpecFor, connectionTypes } from "../modules/registry.ts"
import { ConnectionName } from "../schema/Identifiers.ts"
import { StreamFileDocumented } from "./StreamFile.ts"

export const ConnectionsFileDocumented = Schema.Record(
  ConnectionName,
  Schema.Union(connectionTypes.map((type) => connectionSpecFor(type).schema as Schema.Decoder<unknown>))
).annotate({
  title: "hookstream connections",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: users write the literal ${VAR} syntax
  description: "Named connections (streams/connections.yaml); string values may use ${VAR} and ${VAR:-default}"
})

interface SchemaFile {
  readonly file: string
  readonly schema: Schema.Top
  readonly strict: boolean
}

export const schemaFiles: ReadonlyArray<SchemaFile> = [
  { file: "event.schema.json", schema: WebhookEvent, strict: false },
  { file: "result.schema.json", schema: ResultRecord, strict: false },
  { file: "dlq.schema.json", schema: DeadLetterRecord, strict: false },
  { file: "deferred.schema.json", schema: DeferredRecord, strict: false },
  { file: "stream.schema.json", schema: StreamFileDocumented, strict: true },
  { file: "connections.schema.json", schema: ConnectionsFileDocumented, strict: true }
]

/** One file's text: 2-space JSON with a trailing newline, so diffs stay small and stable. */
export const renderJsonSchema = (entry: SchemaFile): string => {
  const document = Schema.toJsonSchemaDocument(entry.schema, { onExcessProperty: entry.strict ? "error" : "ignore" })
  const definitions = Object.keys(document.definitions).length === 0 ? {} : { $defs: document.definitions }
  const full = { $schema: JsonSchema.META_SCHEMA_URI_DRAFT_2020_12, ...document.schema, ...definitions }
  return `${JSON.stringify(full, null, 2)}\n`
}

/** file name → text, for every schema in `schemas/`. */
export const generateJsonSchemas = (): ReadonlyArray<{ readonly file: string; readonly text: string }> =>
  schemaFiles.map((entry) => ({ file: entry.file, text: renderJsonSchema(entry) }))
