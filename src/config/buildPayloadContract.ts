/**
 * A stream's `payload_schema` → its compiled contract, or the problems: a file reference is
 * resolved against the stream file's directory and looked up among the files the loader read
 * (the pipeline itself reads nothing); the file may be JSON or YAML.
 */
import { dirname, isAbsolute, join } from "node:path"
import type { PayloadContract } from "../domain/PayloadContract.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import { compilePayloadSchema } from "./payloadSchema.ts"
import { parseSource } from "./SourceDocument.ts"

/** Where a `payload_schema: <file>` of `streamFile` is read from. */
export const payloadSchemaPath = (streamFile: string, reference: string): string =>
  isAbsolute(reference) ? reference : join(dirname(streamFile), reference)

export interface PayloadContractBuild {
  readonly contract: PayloadContract | undefined
  readonly issues: ReadonlyArray<ConfigIssue>
}

export const buildPayloadContract = (
  value: string | Readonly<Record<string, unknown>>,
  file: string,
  files: ReadonlyMap<string, string>,
  displayPath: string
): PayloadContractBuild => {
  const fail = (message: string, where = file): PayloadContractBuild => ({
    contract: undefined,
    issues: [{ file: where, path: where === file ? displayPath : "", message }]
  })
  let schema: unknown = value
  let origin = ""
  if (typeof value === "string") {
    const path = payloadSchemaPath(file, value)
    const text = files.get(path)
    if (text === undefined) return fail(`cannot read the schema file ${path} (missing or not permitted)`)
    const parsed = parseSource({ path, text })
    if (parsed._tag === "Invalid") return { contract: undefined, issues: parsed.issues }
    schema = parsed.value
    origin = `${path}: `
  }
  const compiled = compilePayloadSchema(schema)
  return compiled.ok ? { contract: compiled.contract, issues: [] } : fail(`${origin}${compiled.problem}`)
}
