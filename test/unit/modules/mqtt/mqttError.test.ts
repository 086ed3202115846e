import { describe, expect, it } from "vitest"
import { mqttError } from "../../../../src/modules/mqtt/mqttError.ts"

const withCode = (message: string, code: unknown) => Object.assign(new Error(message), { code })

describe("mqttError", () => {
  it("maps socket errors, CONNACK return codes (3.1.1) and reason codes (5)", () => {
    const cases: ReadonlyArray<readonly [unknown, string, boolean]> = [
      [withCode("connect ECONNREFUSED", "ECONNREFUSED"), "unreachable", true],
      [new Error("connack timeout"), "timeout", true],
      [withCode("Connection refused: Server unavailable", 3), "unavailable", true],
      [withCode("Connection refused: Bad username or password", 4), "unauthorized", false],
      [withCode("Connection refused: Not authorized", 5), "unauthorized", false],
      [withCode("Connection refused: Bad User Name or Password", 134), "unauthorized", false],
      [withCode("Publish error: Not authorized", 135), "unauthorized", false],
      [withCode("Connection refused: Server busy", 137), "unavailable", true],
      [withCode("Publish error: Topic Name invalid", 144), "misconfigured", false],
      [withCode("Publish error: Quota exceeded", 151), "throttled", true],
      [withCode("Publish error: Payload format invalid", 153), "invalid_payload", false],
      [new Error("client disconnecting"), "unavailable", true],
      [new Error("something else"), "unknown", false]
    ]
    for (const [error, reason, retryable] of cases) expect(mqttError(error)).toMatchObject({ reason, retryable })
  })
})
