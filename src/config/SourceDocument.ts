/**
 * Reads one config file's text into plain data: YAML (`.yaml`, `.yml`) or JSON (`.json`).
 * Syntax errors come back with line and column. Duplicate keys are errors (the YAML spec
 * says so, and a silently shadowed key is a config bug); aliases are capped so a small
 * file cannot expand into a huge one.
 */
import { parseDocument } from "yaml"
import type { ConfigIssue } from "./ConfigIssue.ts"

export interface SourceText {
  readonly path: string
  readonly text: string
}

export type ParsedSource =
  | { readonly _tag: "Parsed"; readonly value: unknown }
  | { readonly _tag: "Invalid"; readonly issues: ReadonlyArray<ConfigIssue> }

export const isConfigFileName = (path: string): boolean => /\.(ya?ml|json)$/i.test(path)

export const parseSource = (source: SourceText): ParsedSource => {
  if (!isConfigFileName(source.path)) {
    return invalid(source.path, "unsupported file type: use .yaml, .yml or .json")
  }
  if (/\.json$/i.test(source.path)) return parseJson(source)
  const document = parseDocument(source.text, { uniqueKeys: true })
  if (document.errors.length > 0) {
    return {
      _tag: "Invalid",
      issues: document.errors.map((error) => ({
        file: source.path,
        path: "",
        message: firstLine(error.message),
        ...(error.linePos === undefined ? {} : { line: error.linePos[0].line, column: error.linePos[0].col })
      }))
    }
  }
  try {
    return { _tag: "Parsed", value: document.toJS({ maxAliasCount: 100 }) ?? {} }
  } catch (error) {
    // unresolved or excessive aliases surface only when the document is converted
    return invalid(source.path, error instanceof Error ? firstLine(error.message) : "the document could not be read")
  }
}

const parseJson = (source: SourceText): ParsedSource => {
  try {
    return { _tag: "Parsed", value: JSON.parse(source.text) }
  } catch (error) {
    // V8 quotes a slice of the text in some messages; the file may hold secrets, so drop it
    const raw = error instanceof Error ? error.message : "invalid JSON"
    const message = firstLine(raw.replace(/, "[\s\S]*" is not valid JSON$/, "")).replace(
      / in JSON at position \d+.*$/,
      ""
    )
    const located = /\(line (\d+) column (\d+)\)/.exec(raw) ?? locate(source.text)
    return {
      _tag: "Invalid",
      issues: [
        {
          file: source.path,
          path: "",
          message: `invalid JSON: ${message}`,
          ...(located === null ? {} : { line: Number(located[1]), column: Number(located[2]) })
        }
      ]
    }
  }
}

/** Where the YAML parser (a JSON superset) trips, as a stand-in for messages without a position. */
const locate = (text: string): [string, string, string] | null => {
  const position = parseDocument(text).errors[0]?.linePos?.[0]
  return position === undefined ? null : ["", String(position.line), String(position.col)]
}

const firstLine = (message: string): string =>
  (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "")

const invalid = (file: string, message: string): ParsedSource => ({
  _tag: "Invalid",
  issues: [{ file, path: "", message }]
})
