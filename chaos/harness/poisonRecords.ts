/**
 * Fuzzed input records for the poison scenario, from fast-check with a fixed seed (printed in
 * the report, so a failing mix can be made again). Every generated record is bad by
 * construction and says which dead-letter reason it must get:
 *
 * - random_bytes: arbitrary bytes, empty values and tombstones → invalid_event
 * - wrong_types: envelopes with a field of the wrong type or shape (webhook_id not a string,
 *   an id with spaces or 201 characters, header values that are not strings, a bad
 *   received_at, base64 encoding of a non-base64 payload, no webhook_id, not an object) → invalid_event
 * - deep_nesting: payloads nested past the 50-level limit, up to 100,000 levels → invalid_event
 * - huge: payloads over the stream's max_payload_size → payload_too_large; a webhook id of
 *   up to 64 KiB → unknown_webhook; bytes (not JSON) of up to ~1 MB, whose dead letter
 *   (base64 of them) is larger than the broker's default record limit → invalid_event
 * - unknown_ids: well-formed events for webhook ids no stream has → unknown_webhook
 */
import fc from "fast-check"

export type PoisonCategory = "random_bytes" | "wrong_types" | "deep_nesting" | "huge" | "unknown_ids"

export interface PoisonRecord {
  readonly category: PoisonCategory
  readonly expected: "invalid_event" | "unknown_webhook" | "payload_too_large"
  readonly value: Buffer | null
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

/** deterministic filler bytes from a seed (fast-check draws the seed) */
const noise = (size: number, seed: number): Buffer => {
  const out = Buffer.allocUnsafe(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  // never valid JSON: a leading byte no JSON text starts with
  out[0] = 0xff
  return out
}

export const poisonArbitraries = (
  knownWebhook: string,
  maxPayloadBytes: number
): { readonly small: fc.Arbitrary<PoisonRecord>; readonly huge: fc.Arbitrary<PoisonRecord> } => {
  const id = fc.string({
    minLength: 1,
    maxLength: 40,
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-_")
  })
  const envelope = fc.record({
    webhook_id: fc.constant(knownWebhook),
    id: id.map((s) => `poison-${s}`),
    payload: fc.jsonValue({ maxDepth: 3 })
  })
  const bad = (category: PoisonCategory, expected: PoisonRecord["expected"]) => (value: Buffer | null) => ({
    category,
    expected,
    value
  })

  const randomBytes = fc
    .oneof(
      { weight: 8, arbitrary: fc.uint8Array({ maxLength: 2_048 }).map((b) => Buffer.from(b)) },
      { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
      { weight: 1, arbitrary: fc.constant(null) }
    )
    // bytes that happen to spell a valid event of the known stream would not be poison
    .filter((b) => b === null || !b.toString("latin1").includes(knownWebhook))
    .map(bad("random_bytes", "invalid_event"))

  const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string()), fc.object())
  const wrongTypes = fc
    .oneof(
      fc.tuple(envelope, notAString).map(([e, w]) => ({ ...e, webhook_id: w })),
      envelope.map((e) => ({ ...e, webhook_id: "" })),
      envelope.map(({ webhook_id: _, ...rest }) => rest),
      fc
        .tuple(
          envelope,
          fc.oneof(fc.integer(), fc.constant("has space"), fc.constant("x".repeat(201)), fc.constant(""))
        )
        .map(([e, i]) => ({ ...e, id: i })),
      fc
        .tuple(
          envelope,
          fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.integer(), fc.boolean(), fc.constant(null)), {
            minKeys: 1
          })
        )
        .map(([e, h]) => ({ ...e, headers: h })),
      fc
        .tuple(envelope, fc.constantFrom("yesterday", "2026-02-30T00:00:00Z", "1700000000", "2026-01-31 12:00"))
        .map(([e, r]) => ({ ...e, received_at: r })),
      envelope.map((e) => ({ ...e, payload_encoding: "base64", payload: "not base64 at all!" })),
      envelope.map((e) => ({ ...e, payload_encoding: "hex" })),
      fc.oneof(fc.array(fc.jsonValue({ maxDepth: 2 })), fc.integer(), fc.string(), fc.constant(null), fc.boolean())
    )
    .map((v) => json(v))
    .map(bad("wrong_types", "invalid_event"))

  const deepNesting = fc
    .tuple(fc.integer({ min: 50, max: 100_000 }), fc.boolean(), id)
    .map(([depth, arrays, i]) => {
      const open = arrays ? "[".repeat(depth) : '{"a":'.repeat(depth)
      const close = arrays ? "]".repeat(depth) : "}".repeat(depth)
      const inner = arrays ? "" : "1"
      return Buffer.from(`{"webhook_id":"${knownWebhook}","id":"deep-${i}","payload":${open}${inner}${close}}`)
    })
    .map(bad("deep_nesting", "invalid_event"))

  const huge = fc.oneof(
    fc
      .tuple(fc.integer({ min: maxPayloadBytes + 1, max: 900_000 }), id)
      .map(([n, i]) => json({ webhook_id: knownWebhook, id: `huge-${i}`, payload: { blob: "x".repeat(n) } }))
      .map(bad("huge", "payload_too_large")),
    fc
      .tuple(fc.integer({ min: 1_024, max: 65_536 }), id)
      .map(([n, i]) => json({ webhook_id: "w".repeat(n), id: `huge-${i}`, payload: {} }))
      .map(bad("huge", "unknown_webhook")),
    fc
      .tuple(fc.integer({ min: 600_000, max: 1_000_000 }), fc.integer())
      .map(([n, seed]) => noise(n, seed))
      .map(bad("huge", "invalid_event"))
  )

  const unknownIds = fc
    .tuple(
      envelope,
      fc.string({ minLength: 1, maxLength: 64 }).filter((w) => w !== knownWebhook)
    )
    .map(([e, w]) => json({ ...e, webhook_id: w }))
    .map(bad("unknown_ids", "unknown_webhook"))

  return {
    small: fc.oneof(
      { weight: 3, arbitrary: randomBytes },
      { weight: 3, arbitrary: wrongTypes },
      { weight: 2, arbitrary: deepNesting },
      { weight: 3, arbitrary: unknownIds }
    ),
    huge
  }
}

/**
 * `count` poison records from `seed` (the same seed gives the same records), of which 1% (at
 * least 3) huge: megabyte records cost the broker and the machine, not the fuzzer.
 */
export const poisonRecords = (
  count: number,
  seed: number,
  knownWebhook: string,
  maxPayloadBytes: number
): ReadonlyArray<PoisonRecord> => {
  const { small, huge } = poisonArbitraries(knownWebhook, maxPayloadBytes)
  const hugeCount = Math.min(count, Math.max(3, Math.round(count / 100)))
  return [
    ...fc.sample(small, { numRuns: count - hugeCount, seed }),
    ...fc.sample(huge, { numRuns: hugeCount, seed: seed + 1 })
  ]
}
