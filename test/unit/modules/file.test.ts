import { describe, expect, it } from "vitest"
import { FileConfig } from "../../../src/modules/file/FileConfig.ts"
import { decode } from "./decode.ts"

describe("file config", () => {
  it("takes a relative directory that cannot climb out of the base directory", () => {
    expect(decode(FileConfig, {}).value).toEqual({ directory: ".", include_headers: false, pretty: false })
    expect(decode(FileConfig, { directory: "github/push" }).problems).toEqual([])
    for (const directory of ["/etc", "../x", "a/../../b", "a\\b", "a//b", "%2e%2e/x", ""]) {
      expect(decode(FileConfig, { directory }).problems[0]).toMatch(/^directory: expected a relative directory/)
    }
  })
})
