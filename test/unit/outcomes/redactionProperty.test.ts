/**
 * Property: an object whose secrets sit under keys named the way secrets are named in the wild
 * (camelCase, PascalCase, snake, SCREAMING, kebab, Train-Case, dots, spaces, run together,
 * `x-` prefixes, number suffixes), at any depth, in objects and arrays, shows none of those
 * values on any output path: the redactors (default and per stream), header redaction, the
 * process log (fields, annotations, an error's text), the log step with include_payload and
 * include_headers, the console's record view, and the result and dead-letter records a failed
 * chain writes when the destination's error echoes the object (as text, JSON or `k=v`).
 *
 * Secret values all contain SECRET_MARK and nothing else does, so "no value shown" is "the
 * mark appears nowhere".
 */
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { redactedEntry, streamRedactors } from "../../../src/console/dlqViews.ts"
import { destinationError } from "../../../src/domain/DestinationError.ts"
import { defaultRedactor, streamRedactor } from "../../../src/domain/redact.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { type LogConfig, logDestination } from "../../../src/modules/log.ts"
import { loggingLayer } from "../../../src/observability/logging.ts"
import { handleRecord } from "../../../src/processor/handleRecord.ts"
import { chain } from "../engine/fixtures.ts"

const SECRET_MARK = "Zq7"

/** secret names as word lists */
const PHRASES: ReadonlyArray<ReadonlyArray<string>> = [
  ["access", "token"],
  ["client", "secret"],
  ["refresh", "token"],
  ["user", "password"],
  ["db", "password"],
  ["authorization"],
  ["id", "token"],
  ["api", "secret"],
  ["new", "password"],
  ["passphrase"],
  ["auth"],
  ["api", "key"],
  ["private", "key"],
  ["password"],
  ["secret"],
  ["token"],
  ["credentials"],
  ["session", "id"],
  ["connection", "string"],
  ["database", "url"],
  ["aws", "secret", "access", "key"],
  ["auth", "token"],
  ["session", "token"],
  ["csrf", "token"],
  ["signing", "key"],
  ["set", "cookie"],
  ["basic", "auth"],
  ["proxy", "authorization"],
  ["auth", "header"]
]

const cap = (w: string) => (w[0] ?? "").toUpperCase() + w.slice(1)
const STYLES: ReadonlyArray<(words: ReadonlyArray<string>) => string> = [
  (w) => w.map((x, i) => (i === 0 ? x : cap(x))).join(""),
  (w) => w.map(cap).join(""),
  (w) => w.join("_"),
  (w) => w.join("_").toUpperCase(),
  (w) => w.join("-"),
  (w) => w.map(cap).join("-"),
  (w) => w.join("."),
  (w) => w.join(" ")
]

const secretName: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...PHRASES),
    fc.integer({ min: 0, max: STYLES.length }),
    fc.boolean(),
    fc.constantFrom([], ["2"], ["v2"], ["old"], ["encrypted"], ["hash"], ["b64"])
  )
  .map(([phrase, style, prefixed, suffix]) => {
    const words = prefixed ? ["x", ...phrase] : phrase
    const render = STYLES[style]
    // the last style: run together in lower case, as headers and environment variables write them
    return render === undefined ? words.join("") : render([...words, ...suffix])
  })

const INNOCENT_KEYS = [
  "data",
  "order",
  "items",
  "meta",
  "author",
  "authority",
  "user",
  "profile",
  "note",
  "keywords",
  "token_count",
  "idempotency_key",
  "auth_method"
]
const mark = fc.string({ unit: fc.constantFrom(..."abcdefghjkmnpqrstuvwxyz0123456789-"), minLength: 6, maxLength: 14 })
const secretString = mark.map((s) => `${SECRET_MARK}${s}`)
const secretValue: fc.Arbitrary<unknown> = fc.oneof(
  secretString,
  fc.array(secretString, { minLength: 1, maxLength: 3 }),
  fc.record({ value: secretString, note: fc.constant("x") }),
  fc.integer({ min: 10_000, max: 99_999 }).map((n) => `${SECRET_MARK}${n}`)
)
const leaf = fc.constantFrom<unknown>("ada", 42, true, null, "plain text", "")

const { node } = fc.letrec<{ node: unknown; object: Record<string, unknown>; array: Array<unknown> }>((tie) => ({
  node: fc.oneof({ depthSize: "small", maxDepth: 5 }, leaf, tie("object"), tie("array")),
  object: fc
    .array(fc.oneof(fc.tuple(secretName, secretValue), fc.tuple(fc.constantFrom(...INNOCENT_KEYS), tie("node"))), {
      maxLength: 5
    })
    .map((entries) => Object.fromEntries(entries)),
  array: fc.array(tie("node"), { maxLength: 3 })
}))

/** an object with at least one secret at the top and possibly more below */
const payload = fc
  .tuple(secretName, secretValue, node)
  .map(([name, value, rest]) => ({ ...(typeof rest === "object" && rest !== null ? rest : { rest }), [name]: value }))

/** header names as they arrive: lower case (Node folds them), words joined by `-` or run together */
const headerName = fc
  .tuple(fc.constantFrom(...PHRASES), fc.boolean(), fc.boolean(), fc.constantFrom([], ["2"], ["v2"], ["old"]))
  .map(([phrase, prefixed, together, suffix]) => {
    const words = prefixed ? ["x", ...phrase] : phrase
    return together ? words.join("") : [...words, ...suffix].join("-")
  })
const headers = fc
  .array(fc.tuple(headerName, secretString), { minLength: 1, maxLength: 4 })
  .map((secret) => ({ "content-type": "application/json", ...Object.fromEntries(secret) }))
const noSecret = (what: string, output: unknown) => {
  const text = typeof output === "string" ? output : JSON.stringify(output)
  expect(text.includes(SECRET_MARK), `${what} shows a secret: ${text.slice(0, 2_000)}`).toBe(false)
}

const capture = () => {
  const lines: Array<string> = []
  const stream = { write: (line: string) => void lines.push(line) }
  return { lines, layer: loggingLayer({ level: "debug", stdout: stream, stderr: stream, pretty: false }) }
}

const RUNS = { numRuns: 200 }

describe("no secret-named value reaches any output", () => {
  it("the redactors and header redaction", () => {
    const custom = streamRedactor({ fields: ["ssn"], patterns: ["^internal_"] })
    fc.assert(
      fc.property(payload, headers, (p, h) => {
        noSecret("the default redactor", defaultRedactor.redact(p))
        noSecret("a stream's redactor", custom.redact(p))
        noSecret("header redaction", defaultRedactor.redactHeaders(h))
      }),
      RUNS
    )
  })

  it("the process log: fields, annotations, message objects and error text", async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (p) => {
        const { lines, layer } = capture()
        await Effect.runPromise(
          Effect.gen(function* () {
            yield* Effect.logInfo("event", p)
            yield* Effect.logWarning("request failed", new Error(`upstream said ${JSON.stringify(p)}`))
            yield* Effect.logError(`response ${JSON.stringify(p)}`)
          }).pipe(Effect.annotateLogs({ payload: p }), Effect.provide(layer))
        )
        expect(lines.length).toBe(3)
        noSecret("the log", lines.join("\n"))
      }),
      RUNS
    )
  })

  it("the log step with include_payload and include_headers, redacting as its stream says", async () => {
    const shared = await Effect.runPromise(Effect.scoped(logDestination.make(undefined)))
    const step = logDestination.forStream?.(shared, {
      webhookId: "orders",
      redactor: streamRedactor({ fields: ["ssn"] })
    })
    if (step === undefined) throw new Error("the log module binds per stream")
    const config: LogConfig = { level: "info", include_payload: true, include_headers: true }
    await fc.assert(
      fc.asyncProperty(payload, headers, async (p, h) => {
        const { lines, layer } = capture()
        await Effect.runPromise(
          step
            .send({
              eventId: "evt-1",
              webhookId: "orders",
              moduleId: "audit",
              idempotencyKey: "orders:evt-1:audit",
              attempt: 1,
              payload: { ...p, ssn: `${SECRET_MARK}-123-45` },
              payloadEncoding: "json",
              headers: h,
              config
            })
            .pipe(Effect.provide(layer))
        )
        expect(lines.length).toBe(2)
        noSecret("the log step", lines.join("\n"))
      }),
      RUNS
    )
  })

  it("the console's record view", () => {
    const redactorFor = streamRedactors([])
    fc.assert(
      fc.property(payload, headers, (p, h) => {
        const now = new Date().toISOString()
        const entry = {
          coordinate: { topic: "webhooks.dlq", partition: 0, offset: "7" },
          key: null,
          headers: { ...h, "hookstream-dlq-reason": "chain_failed" },
          timestamp: Date.now(),
          record: {
            schema: "hookstream.dlq/v1" as const,
            reason: "chain_failed" as const,
            event: { webhook_id: "orders", id: "evt-1", payload: p, headers: h },
            failed_modules: ["crm"],
            source: { topic: "webhooks", partition: 0, offset: "7" },
            replay_count: 0,
            failed_at: now,
            event_id: "evt-1",
            webhook_id: "orders"
          }
        }
        noSecret("the console", redactedEntry(entry, redactorFor))
      }),
      RUNS
    )
  })

  it("result and dead-letter records, when the destination's error echoes the secrets", async () => {
    const engine = ChainEngine.make()
    const plan = chain("sequential", ["crm"])
    await fc.assert(
      fc.asyncProperty(payload, fc.constantFrom("json", "assignments"), async (p, form) => {
        const echoed =
          form === "json"
            ? `HTTP 400 from crm: ${JSON.stringify(p)}`
            : Object.entries(p)
                .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
                .join("&")
        const bound = engine.bind(plan, () => ({
          send: () => Effect.fail(destinationError("rejected", echoed))
        }))
        // one attempt, no retry: the chain ends without waiting on the clock
        const outputs = await Effect.runPromise(
          handleRecord(
            {
              streams: new Map([["orders", { chain: bound, maxPayloadBytes: 1_048_576 }]]),
              engine,
              topics: { results: "results", dlq: "dlq" },
              now: () => 0
            },
            {
              topic: "webhooks",
              partition: 0,
              offset: "1",
              key: null,
              value: Buffer.from(JSON.stringify({ webhook_id: "orders", id: "evt-1", payload: {} })),
              headers: {},
              timestamp: 0
            }
          )
        )
        const result = outputs.find((o) => o.topic === "results")
        const dlq = outputs.find((o) => o.topic === "dlq")
        expect(result).toBeDefined()
        expect(dlq).toBeDefined()
        noSecret("the result record", result?.value)
        const letter = JSON.parse(dlq?.value ?? "{}") as Record<string, unknown>
        noSecret("the dead letter's error fields", { error: letter.error, result: letter.result })
      }),
      RUNS
    )
  })
})
