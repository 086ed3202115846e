/**
 * Inline stream tests (`tests:` in a stream file), run by `hookstream test` against the
 * real engine with simulated destinations. This file defines the file shape and the
 * normalised `StreamTest` the runner receives (every default filled in, durations in ms).
 */
import { Schema } from "effect"
import { DlqReason } from "../domain/DeadLetterRecord.ts"
import { DestinationErrorReason, retryableByDefault } from "../domain/DestinationError.ts"
import { ChainStatus, ModuleStatus } from "../domain/Outcome.ts"
import { Rfc3339 } from "../domain/Timestamp.ts"
import { EventIdString, PayloadEncoding } from "../domain/WebhookEvent.ts"
import { intBetween, rule, text } from "../schema/Checks.ts"
import { Duration } from "../schema/Duration.ts"
import { ModuleId } from "../schema/Identifiers.ts"

export const SimulatedModuleFile = Schema.Struct({
  behaviour: Schema.Literals(["succeed", "fail", "hang", "flaky"]),
  /** fail only; default: the reason's usual verdict, or false */
  retryable: Schema.optionalKey(Schema.Boolean),
  /** how long each attempt takes before it succeeds or fails (not for hang) */
  delay: Schema.optionalKey(Duration({ max: 900_000 })),
  /** flaky only: retryable failures before the first success (default 1) */
  failures: Schema.optionalKey(intBetween(1, 100)),
  /** fail/flaky: the DestinationError reason reported */
  reason: Schema.optionalKey(DestinationErrorReason)
}).check(
  rule<{
    readonly behaviour: string
    readonly retryable?: boolean
    readonly delay?: number
    readonly failures?: number
    readonly reason?: string
  }>((m) => {
    if (m.retryable !== undefined && m.behaviour !== "fail") return "retryable applies only to behaviour fail"
    if (m.failures !== undefined && m.behaviour !== "flaky") return "failures applies only to behaviour flaky"
    if (m.delay !== undefined && m.behaviour === "hang") return "delay does not apply to hang (it never finishes)"
    if (m.reason !== undefined && m.behaviour !== "fail" && m.behaviour !== "flaky") {
      return "reason applies only to behaviours fail and flaky"
    }
    return undefined
  })
)

export const StreamTestFile = Schema.Struct({
  name: text(200),
  /** the event under test; its webhook_id is the stream's id */
  event: Schema.Struct({
    payload: Schema.Unknown,
    headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
    key: Schema.optionalKey(Schema.String),
    id: Schema.optionalKey(EventIdString),
    payload_encoding: Schema.optionalKey(PayloadEncoding),
    received_at: Schema.optionalKey(Rfc3339)
  }),
  /** simulated behaviour per module id; unlisted modules succeed */
  modules: Schema.optionalKey(Schema.Record(ModuleId, SimulatedModuleFile)),
  expect: Schema.Struct({
    /** absent: the event is refused before its chain runs (no result record; say dlq_reason) */
    status: Schema.optionalKey(ChainStatus),
    /** module id → status; a subset of the chain is fine */
    modules: Schema.optionalKey(Schema.Record(ModuleId, ModuleStatus)),
    /** the DLQ reason expected, or null/absent for "no dead-letter record" */
    dlq_reason: Schema.optionalKey(Schema.NullOr(DlqReason)),
    /** module id → the exact body it received (its transform's output, or the payload) */
    bodies: Schema.optionalKey(Schema.Record(ModuleId, Schema.Unknown)),
    /** module id → headers its `headers:` templates rendered (http steps) */
    headers: Schema.optionalKey(Schema.Record(ModuleId, Schema.Record(Schema.String, Schema.String)))
  }).check(
    rule<{ readonly status?: string; readonly dlq_reason?: string | null }>((e) =>
      e.status === undefined && (e.dlq_reason === undefined || e.dlq_reason === null)
        ? "say the chain's status, or for an event refused before its chain runs (invalid_payload…) the dlq_reason"
        : undefined
    )
  )
})
export type StreamTestFile = typeof StreamTestFile.Type

export type SimulatedBehaviour =
  | { readonly behaviour: "succeed"; readonly delayMs: number }
  | {
      readonly behaviour: "fail"
      readonly delayMs: number
      readonly retryable: boolean
      readonly reason: DestinationErrorReason
    }
  | { readonly behaviour: "hang" }
  | {
      readonly behaviour: "flaky"
      readonly delayMs: number
      readonly failures: number
      readonly reason: DestinationErrorReason
    }

export interface StreamTest {
  readonly name: string
  readonly event: {
    readonly payload: unknown
    readonly payloadEncoding: "json" | "base64"
    readonly headers: Readonly<Record<string, string>>
    readonly key?: string
    readonly id?: string
    readonly receivedAt?: string
  }
  /** every module id of the chain is present (unlisted ones: succeed, no delay) */
  readonly modules: Readonly<Record<string, SimulatedBehaviour>>
  readonly expect: {
    /** null: refused before the chain runs, so no result record */
    readonly status: ChainStatus | null
    readonly modules: Readonly<Record<string, ModuleStatus>>
    readonly dlqReason: DlqReason | null
    /** absent: not checked */
    readonly bodies?: Readonly<Record<string, unknown>>
    readonly headers?: Readonly<Record<string, Readonly<Record<string, string>>>>
  }
}

const simulate = (m: typeof SimulatedModuleFile.Type): SimulatedBehaviour => {
  const delayMs = m.delay ?? 0
  switch (m.behaviour) {
    case "succeed":
      return { behaviour: "succeed", delayMs }
    case "hang":
      return { behaviour: "hang" }
    case "fail": {
      const retryable = m.retryable ?? (m.reason === undefined ? false : retryableByDefault[m.reason])
      return { behaviour: "fail", delayMs, retryable, reason: m.reason ?? (retryable ? "unavailable" : "rejected") }
    }
    case "flaky":
      return { behaviour: "flaky", delayMs, failures: m.failures ?? 1, reason: m.reason ?? "unavailable" }
  }
}

/** Fills every default; `moduleIds` are the chain's ids (checked against the test by the loader). */
export const normalizeStreamTest = (test: StreamTestFile, moduleIds: ReadonlyArray<string>): StreamTest => {
  const given = test.modules ?? {}
  const modules: Record<string, SimulatedBehaviour> = {}
  for (const id of moduleIds) {
    const simulated = given[id]
    modules[id] = simulated === undefined ? { behaviour: "succeed", delayMs: 0 } : simulate(simulated)
  }
  return {
    name: test.name,
    event: {
      payload: test.event.payload,
      payloadEncoding: test.event.payload_encoding ?? "json",
      headers: test.event.headers ?? {},
      ...(test.event.key === undefined ? {} : { key: test.event.key }),
      ...(test.event.id === undefined ? {} : { id: test.event.id }),
      ...(test.event.received_at === undefined ? {} : { receivedAt: test.event.received_at })
    },
    modules,
    expect: {
      status: test.expect.status ?? null,
      modules: test.expect.modules ?? {},
      dlqReason: test.expect.dlq_reason ?? null,
      ...(test.expect.bodies === undefined ? {} : { bodies: test.expect.bodies }),
      ...(test.expect.headers === undefined ? {} : { headers: test.expect.headers })
    }
  }
}
