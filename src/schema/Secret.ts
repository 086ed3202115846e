/**
 * Secrets in config (passwords, tokens, signing secrets, connection strings) decode to
 * `Redacted`, so printing a decoded config shows `<redacted>`; validation messages never
 * echo them (the `sensitive` annotation). Write them as `${VAR}` to keep them out of files.
 */
import { Schema } from "effect"
import { sensitiveAnnotation } from "../domain/SchemaIssues.ts"
import { rule } from "./Checks.ts"

const annotations = {
  ...sensitiveAnnotation,
  // biome-ignore lint/suspicious/noTemplateCurlyInString: users write the literal ${VAR} syntax
  description: "A secret; prefer ${VAR} substitution from the environment",
  writeOnly: true
}

// The raw string carries `sensitive` too: under a decoding default (`withDefault`) issues are
// raised on the encoded side, below the Redacted declaration.
const SecretString = Schema.String.annotate(sensitiveAnnotation)

export const Secret = Schema.RedactedFromValue(
  // biome-ignore lint/suspicious/noTemplateCurlyInString: users write the literal ${VAR} syntax
  SecretString.check(Schema.isNonEmpty({ expected: "a non-empty secret (tip: write it as ${VAR})" }))
).annotate(annotations)
export type Secret = typeof Secret.Type

/** A secret with a shape check (e.g. a URL scheme); the message must not quote the value. */
export const secretMatching = (test: (value: string) => boolean, message: string) =>
  Schema.RedactedFromValue(SecretString.check(rule<string>((value) => (test(value) ? undefined : message)))).annotate(
    annotations
  )
