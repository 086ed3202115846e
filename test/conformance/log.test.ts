/**
 * log against Effect's logger: a test Logger records every line with its level and
 * annotations, and `effects` counts the lines annotated with an event id. There is no server
 * to be unreachable, so that test does not apply; the rest of the suite runs as for any sink.
 */
import { Effect, Logger, References, Schema } from "effect"
import { describe, expect, it } from "vitest"
import { REDACTED } from "../../src/domain/redact.ts"
import { type LogConfig, logDestination } from "../../src/modules/log.ts"
import { conformance, delivery } from "./conformance.ts"

interface Line {
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
}

const lines: Array<Line> = []

const recorder = Logger.make((options) => {
  lines.push({
    level: options.logLevel,
    message: options.message,
    annotations: { ...options.fiber.getRef(References.CurrentLogAnnotations) }
  })
})

const recorded = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  effect.pipe(Effect.provideService(References.CurrentLoggers, new Set([recorder])))

const linesOf = (eventId: string) => lines.filter((line) => line.annotations.event_id === eventId)

conformance<LogConfig, unknown>({
  name: "log",
  spec: logDestination,
  config: () => ({ level: "info" }),
  badConfig: { config: { level: "verbose" }, path: "level" },
  dedupes: false,
  provide: recorded,
  effects: async (_config, _connection, eventId) => linesOf(eventId).length
})

const decodeConfig = (raw: unknown): LogConfig => Schema.decodeUnknownSync(logDestination.config)(raw)

const sendOne = async (rawConfig: unknown, minimum: "Debug" | "Info" = "Info", overrides = {}) => {
  const config = decodeConfig(rawConfig)
  const d = delivery(config, overrides)
  await Effect.runPromise(
    recorded(
      Effect.gen(function* () {
        const destination = yield* logDestination.make(undefined)
        return yield* destination.send(d)
      }).pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, minimum))
    )
  )
  return linesOf(d.eventId)
}

describe("log destination", () => {
  it("writes one line at the configured level with the delivery's annotations and no payload", async () => {
    const [line, ...rest] = await sendOne({ level: "warn", message: "order seen" })
    expect(rest).toEqual([])
    expect(line?.level).toBe("Warn")
    expect(line?.message).toEqual(["order seen"])
    expect(line?.annotations).toMatchObject({ webhook_id: "conformance", module_id: "step-0", attempt: 1 })
    expect(line?.annotations.idempotency_key).toBe(`conformance:${line?.annotations.event_id}:step-0`)
    expect(line?.annotations).not.toHaveProperty("payload")
    expect(line?.annotations).not.toHaveProperty("headers")
  })

  it("a debug step is filtered by the process's minimum level, and written under Debug", async () => {
    expect(await sendOne({ level: "debug" }, "Info")).toEqual([])
    const written = await sendOne({ level: "debug" }, "Debug")
    expect(written.map((l) => l.level)).toEqual(["Debug"])
  })

  it("payload and headers never above debug: an info step's content goes on a debug line of its own", async () => {
    const atInfo = await sendOne({ include_payload: true, include_headers: true }, "Info", { payload: { n: 1 } })
    expect(atInfo.map((l) => l.level)).toEqual(["Info"])
    expect(atInfo[0]?.annotations).not.toHaveProperty("payload")
    const atDebug = await sendOne({ include_payload: true }, "Debug", { payload: { n: 1 } })
    expect(atDebug.map((l) => [l.level, l.annotations.payload])).toEqual([
      ["Info", undefined],
      ["Debug", { n: 1 }]
    ])
  })

  it("payload and headers only when asked, with secrets redacted and business fields kept", async () => {
    const [line] = await sendOne({ level: "debug", include_payload: true, include_headers: true }, "Debug", {
      payload: { author: "ana", card: { password: "hunter2", last4: "4242" } },
      headers: { authorization: "Bearer abc", "x-request-id": "r-1" }
    })
    expect(line?.annotations.payload).toEqual({ author: "ana", card: { password: REDACTED, last4: "4242" } })
    expect(line?.annotations.headers).toEqual({ authorization: REDACTED, "x-request-id": "r-1" })
    expect(line?.annotations.payload_encoding).toBe("json")
  })

  it("a base64 payload is logged as the opaque string it is", async () => {
    const [line] = await sendOne({ level: "debug", include_payload: true }, "Debug", {
      payload: "aGVsbG8=",
      payloadEncoding: "base64"
    })
    expect(line?.annotations.payload).toBe("aGVsbG8=")
    expect(line?.annotations.payload_encoding).toBe("base64")
  })
})
