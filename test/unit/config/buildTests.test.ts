import { describe, expect, it } from "vitest"
import { only, problems, stream, validate } from "./fixtures.ts"

const chain = [
  { module: "log", id: "audit" },
  { module: "http", id: "notify", config: { url: "https://example.com/h" } }
]
const withTests = (tests: ReadonlyArray<unknown>) => validate(stream(chain, { tests }))
const test = (extra: Record<string, unknown> = {}) => ({
  name: "t",
  event: { payload: { order: 1 } },
  expect: { status: "succeeded" },
  ...extra
})

describe("inline tests", () => {
  it("normalises a test: every chain module present, defaults filled, durations in ms", () => {
    const [t] = only(
      withTests([
        test({
          event: { payload: { order: 1 }, headers: { "x-a": "1" }, key: "k" },
          modules: { notify: { behaviour: "fail", retryable: true, delay: "50ms" } },
          expect: { status: "partial", modules: { notify: "failed" }, dlq_reason: "chain_failed" }
        })
      ])
    ).tests
    expect(t).toEqual({
      name: "t",
      event: { payload: { order: 1 }, payloadEncoding: "json", headers: { "x-a": "1" }, key: "k" },
      modules: {
        audit: { behaviour: "succeed", delayMs: 0 },
        notify: { behaviour: "fail", delayMs: 50, retryable: true, reason: "unavailable" }
      },
      expect: { status: "partial", modules: { notify: "failed" }, dlqReason: "chain_failed" }
    })
  })

  it("fills fail/flaky defaults from the reason", () => {
    const [t] = only(
      withTests([
        test({ modules: { audit: { behaviour: "fail", reason: "throttled" }, notify: { behaviour: "flaky" } } })
      ])
    ).tests
    expect(t?.modules).toEqual({
      audit: { behaviour: "fail", delayMs: 0, retryable: true, reason: "throttled" },
      notify: { behaviour: "flaky", delayMs: 0, failures: 1, reason: "unavailable" }
    })
    const [u] = only(withTests([test({ modules: { audit: { behaviour: "fail" } } })])).tests
    expect(u?.modules["audit"]).toEqual({ behaviour: "fail", delayMs: 0, retryable: false, reason: "rejected" })
  })

  it("treats dlq_reason null or absent as 'no dead-letter record'", () => {
    const tests = only(
      withTests([test({ name: "a" }), test({ name: "b", expect: { status: "failed", dlq_reason: null } })])
    ).tests
    expect(tests.map((t) => t.expect.dlqReason)).toEqual([null, null])
  })

  it("requires module ids that exist in the chain", () => {
    expect(
      problems(
        withTests([
          test({
            modules: { notifi: { behaviour: "hang" } },
            expect: { status: "failed", modules: { nope: "failed" } }
          })
        ])
      )
    ).toEqual([
      "tests.0.expect.modules.nope: module id 'nope' is not in the chain (ids: audit, notify)",
      "tests.0.modules.notifi: module id 'notifi' is not in the chain (ids: audit, notify)"
    ])
  })

  it("checks which options go with which behaviour", () => {
    expect(
      problems(
        withTests([
          test({
            modules: {
              audit: { behaviour: "succeed", failures: 2 },
              notify: { behaviour: "hang", delay: "1s" }
            }
          }),
          test({
            name: "u",
            modules: { audit: { behaviour: "flaky", retryable: false }, notify: { behaviour: "explode" } }
          })
        ])
      )
    ).toEqual([
      "tests.0.modules.audit: failures applies only to behaviour flaky",
      "tests.0.modules.notify: delay does not apply to hang (it never finishes)",
      "tests.1.modules.audit: retryable applies only to behaviour fail",
      "tests.1.modules.notify.behaviour: expected one of 'succeed', 'fail', 'hang', 'flaky', got 'explode'"
    ])
  })

  it("checks statuses, reasons and names", () => {
    expect(
      problems(
        withTests([
          test({ expect: { status: "ok", modules: { audit: "done" }, dlq_reason: "chain_failure" } }),
          test(),
          test()
        ])
      )
    ).toEqual([
      "tests.0.expect.dlq_reason: expected one of 'chain_failed', 'timed_out', 'invalid_event', 'unknown_webhook', 'payload_too_large', 'filter_failed', 'invalid_payload', got 'chain_failure' (did you mean 'chain_failed'?)",
      "tests.0.expect.modules.audit: expected one of 'succeeded', 'failed', 'timed_out', 'interrupted', 'skipped', 'circuit_open', got 'done'",
      "tests.0.expect.status: expected one of 'succeeded', 'partial', 'failed', 'timed_out', 'filtered', got 'ok'",
      "tests.2.name: duplicate test name 't' (also tests.1)"
    ])
  })

  it("keeps payloads within the JSON depth limit of 50", () => {
    const nest = (depth: number): unknown => (depth === 0 ? 1 : { a: nest(depth - 1) })
    expect(only(withTests([test({ event: { payload: nest(50) } })])).tests).toHaveLength(1)
    expect(problems(withTests([test({ event: { payload: nest(51) } })]))).toEqual([
      "tests.0.event.payload: the payload nests deeper than 50 levels"
    ])
  })

  it("requires a base64 string payload with payload_encoding base64", () => {
    expect(
      only(withTests([test({ event: { payload: "aGVsbG8=", payload_encoding: "base64" } })])).tests[0]?.event
        .payloadEncoding
    ).toBe("base64")
    expect(problems(withTests([test({ event: { payload: { a: 1 }, payload_encoding: "base64" } })]))).toEqual([
      "tests.0.event.payload: with payload_encoding base64 the payload must be a base64 string"
    ])
  })

  it("implies the webhook id: an event may not name one", () => {
    expect(problems(withTests([test({ event: { payload: 1, webhook_id: "x" } })]))[0]).toMatch(
      /^tests\.0\.event\.webhook_id: unknown key 'webhook_id'/
    )
  })
})
