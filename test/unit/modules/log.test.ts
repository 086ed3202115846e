import { describe, expect, it } from "vitest"
import { LogConfig } from "../../../src/modules/log.ts"
import { decode } from "./decode.ts"

describe("log config", () => {
  it("leaves the payload out unless asked", () => {
    expect(decode(LogConfig, {}).value).toEqual({ level: "info", include_payload: false, include_headers: false })
    expect(decode(LogConfig, { level: "verbose" }).problems).toEqual([
      "level: expected one of 'debug', 'info', 'warn', 'error', got 'verbose'"
    ])
  })
})
