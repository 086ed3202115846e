/**
 * A record as fetched from the input topic, in the shape the processor needs (the Kafka
 * port converts from the client's type). Values stay Buffers until decoded once.
 */
export interface InputRecord {
  readonly topic: string
  readonly partition: number
  /** decimal string, as Kafka clients carry 64-bit offsets */
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string>>
  /** broker timestamp, epoch ms */
  readonly timestamp: number
}

type RawHeaderValue = Buffer | string | ReadonlyArray<Buffer | string> | undefined

/** Kafka headers → strings (last value wins for repeated headers; names lower-cased). */
export const decodeHeaders = (raw: Readonly<Record<string, RawHeaderValue>> | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (raw === undefined) return out
  for (const name of Object.keys(raw)) {
    const value = raw[name]
    const last = Array.isArray(value) ? value.at(-1) : value
    if (last !== undefined) out[name.toLowerCase()] = typeof last === "string" ? last : last.toString("utf8")
  }
  return out
}
