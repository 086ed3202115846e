/**
 * A stream's inline tests: each decoded on its own (so every broken test is reported),
 * then checked against the chain: module ids must exist, names must be unique, payloads
 * must respect the JSON depth limit and, with base64 encoding, be base64.
 */
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../domain/JsonDepth.ts"
import { isBase64 } from "../domain/WebhookEvent.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import { type DocumentContext, decodeSection } from "./decodeSection.ts"
import { normalizeStreamTest, type StreamTest, StreamTestFile } from "./StreamTest.ts"

export const buildTests = (
  raw: ReadonlyArray<unknown>,
  moduleIds: ReadonlyArray<string> | undefined,
  document: DocumentContext
): { readonly tests: ReadonlyArray<StreamTest>; readonly issues: ReadonlyArray<ConfigIssue> } => {
  const display = document.displayPath ?? ((path) => path.join("."))
  const issues: Array<ConfigIssue> = []
  const tests: Array<StreamTest> = []
  const names = new Map<string, number>()
  raw.forEach((input, index) => {
    const issue = (message: string, ...rest: ReadonlyArray<string | number>) =>
      issues.push({ file: document.file, path: display(["tests", index, ...rest]), message })
    const decoded = decodeSection(StreamTestFile, input, ["tests", index], document)
    if (decoded._tag === "Failed") {
      issues.push(...decoded.issues)
      return
    }
    const test = decoded.value
    const before = names.get(test.name)
    if (before !== undefined) issue(`duplicate test name '${test.name}' (also tests.${before})`, "name")
    names.set(test.name, index)
    if (exceedsJsonDepth(test.event.payload)) {
      issue(`the payload nests deeper than ${MAX_JSON_DEPTH} levels`, "event", "payload")
    }
    if (
      test.event.payload_encoding === "base64" &&
      (typeof test.event.payload !== "string" || !isBase64(test.event.payload))
    ) {
      issue("with payload_encoding base64 the payload must be a base64 string", "event", "payload")
    }
    if (moduleIds === undefined) return // the chain has problems of its own; ids cannot be checked yet
    const unknownIds = (ids: ReadonlyArray<string>, ...at: ReadonlyArray<string>) => {
      for (const id of ids) {
        if (!moduleIds.includes(id)) {
          issue(`module id '${id}' is not in the chain (ids: ${moduleIds.join(", ")})`, ...at, id)
        }
      }
    }
    unknownIds(Object.keys(test.modules ?? {}), "modules")
    unknownIds(Object.keys(test.expect.modules ?? {}), "expect", "modules")
    unknownIds(Object.keys(test.expect.bodies ?? {}), "expect", "bodies")
    unknownIds(Object.keys(test.expect.headers ?? {}), "expect", "headers")
    tests.push(normalizeStreamTest(test, moduleIds))
  })
  return { tests, issues }
}
