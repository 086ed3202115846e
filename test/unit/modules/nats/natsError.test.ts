import { errors } from "@nats-io/transport-node"
import { describe, expect, it } from "vitest"
import { jetStreamApiError, natsError } from "../../../../src/modules/nats/natsError.ts"

describe("natsError", () => {
  it("maps client errors", () => {
    expect(natsError(new errors.ConnectionError("connection refused"))).toMatchObject({
      reason: "unreachable",
      retryable: true
    })
    expect(natsError(new errors.TimeoutError())).toMatchObject({ reason: "timeout", retryable: true })
    expect(natsError(new errors.AuthorizationError("Authorization Violation"))).toMatchObject({
      reason: "unauthorized",
      retryable: false
    })
    expect(natsError(new errors.ClosedConnectionError())).toMatchObject({ reason: "unavailable", retryable: true })
    expect(natsError(new errors.NoRespondersError("s"))).toMatchObject({ reason: "unavailable", retryable: true })
  })

  it("maps JetStream API errors by err_code, then by code", () => {
    const cases: ReadonlyArray<readonly [number, number, string, boolean]> = [
      [400, 10060, "misconfigured", false], // expected stream does not match
      [400, 10054, "rejected", false], // message size exceeds maximum allowed
      [503, 10077, "unavailable", true], // maximum messages exceeded (discard new)
      [429, 1, "throttled", true],
      [404, 1, "misconfigured", false],
      [400, 1, "rejected", false]
    ]
    for (const [code, err_code, reason, retryable] of cases) {
      const error = jetStreamApiError({ code, err_code, description: "d" }, "orders.created")
      expect(error).toMatchObject({ reason, retryable })
      expect(error.message).toContain("orders.created")
    }
  })
})
