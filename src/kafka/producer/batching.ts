/**
 * Batching for every producer, written once:
 * - `makeBatcher`: natural batching. While one batch is with the broker, new items wait; when
 *   it is answered, everything waiting (up to the limits) forms the next. No linger timer:
 *   latency is one round trip at low load, and batches grow by themselves under load.
 * - `chunksByBytes`: a batch cut into requests under the broker's size limit, order kept.
 * - `groupByTopic`: records grouped per topic, order kept within each topic.
 */
import { Effect, type Scope } from "effect"
import type { ProducerRecord } from "./ProducerDriver.ts"

/** What a record costs in a batch besides its key, value and headers (batch header, framing), rounded up. */
const RECORD_OVERHEAD_BYTES = 256

const byteLength = (data: Buffer | string | null): number =>
  data === null ? 0 : typeof data === "string" ? Buffer.byteLength(data) : data.length

/** An upper bound of the bytes `record` takes in a record batch of its own. */
export const recordBytes = (record: ProducerRecord): number => {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(record.value) + byteLength(record.key)
  for (const name in record.headers) bytes += 8 + name.length + Buffer.byteLength(record.headers[name] as string)
  return bytes
}

/** Consecutive chunks of at most `maxBytes` each (a larger record goes alone), order kept. */
export const chunksByBytes = <R extends ProducerRecord>(
  records: ReadonlyArray<R>,
  maxBytes: number,
  size: (record: R) => number = recordBytes
): ReadonlyArray<ReadonlyArray<R>> => {
  const chunks: Array<Array<R>> = []
  let current: Array<R> = []
  let bytes = 0
  for (const r of records) {
    const bytesOf = size(r)
    if (current.length > 0 && bytes + bytesOf > maxBytes) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(r)
    bytes += bytesOf
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** The records of each topic, in their order, as `make` turns them into the client's messages. */
export const groupByTopic = <R extends ProducerRecord, M>(
  records: ReadonlyArray<R>,
  make: (record: R) => M
): Array<{ topic: string; messages: Array<M> }> => {
  const topics = new Map<string, Array<M>>()
  for (const r of records) {
    const list = topics.get(r.topic)
    if (list === undefined) topics.set(r.topic, [make(r)])
    else list.push(make(r))
  }
  return Array.from(topics, ([topic, messages]) => ({ topic, messages }))
}

export interface BatcherOptions<A> {
  /** records per batch, at most (an item larger than this goes alone) */
  readonly maxRecords: number
  /** bytes per batch, at most (an item larger than this goes alone); default no limit */
  readonly maxBytes?: number
  /** records in an item (default 1) */
  readonly records?: (item: A) => number
  /** bytes of an item (default 0) */
  readonly bytes?: (item: A) => number
  /** called once per item as it joins a batch; `false` leaves it out (withdrawn while it waited) */
  readonly take?: (item: A) => boolean
  /** sends one batch; the next is formed when it returns. Must not fail: failures are the sender's to settle */
  readonly send: (batch: ReadonlyArray<A>) => Effect.Effect<void>
}

export interface Batcher<A> {
  readonly offer: (item: A) => void
  /** removes and returns the items still waiting (not those in the batch being sent) */
  readonly clear: () => ReadonlyArray<A>
}

/** Natural batching on a fiber of the enclosing scope: closing the scope stops it. */
export const makeBatcher = <A>(options: BatcherOptions<A>): Effect.Effect<Batcher<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    const recordsOf = options.records ?? (() => 1)
    const bytesOf = options.bytes ?? (() => 0)
    let items: Array<A> = []
    let wake: (() => void) | undefined

    const nextBatch = (): Array<A> => {
      const batch: Array<A> = []
      let records = 0
      let bytes = 0
      let i = 0
      for (; i < items.length; i++) {
        const item = items[i] as A
        const r = recordsOf(item)
        const b = bytesOf(item)
        if (batch.length > 0 && (records + r > options.maxRecords || bytes + b > maxBytes)) break
        if (options.take !== undefined && !options.take(item)) continue
        batch.push(item)
        records += r
        bytes += b
      }
      items = i === items.length ? [] : items.slice(i)
      return batch
    }

    const arrival = Effect.callback<void>((resume) => {
      if (items.length > 0) resume(Effect.void)
      else
        wake = () => {
          wake = undefined
          resume(Effect.void)
        }
      return Effect.sync(() => {
        wake = undefined
      })
    })

    yield* Effect.forkScoped(
      Effect.forever(
        Effect.gen(function* () {
          yield* arrival
          const batch = nextBatch()
          if (batch.length > 0) yield* options.send(batch)
        })
      )
    )

    return {
      offer: (item) => {
        items.push(item)
        wake?.()
      },
      clear: () => {
        const waiting = items
        items = []
        return waiting
      }
    }
  })
