/** Decodes a module config or connection with the loader's options; returns `path: message` lines or the value. */
import { Result, Schema } from "effect"
import { formatPath, reportIssues, reportingParseOptions } from "../../../src/domain/SchemaIssues.ts"

export const decode = (
  schema: Schema.Decoder<unknown>,
  input: unknown
): { value?: unknown; problems: Array<string> } => {
  const result = Schema.decodeUnknownResult(schema)(input, reportingParseOptions)
  return Result.isSuccess(result)
    ? { value: result.success, problems: [] }
    : { problems: reportIssues(result.failure.issue).map((r) => `${formatPath(r.path)}: ${r.message}`) }
}
