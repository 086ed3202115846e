/**
 * After an assignment, the deferral marks of the newly owned input partitions: which (stream,
 * key) pairs have deferred records the deferred group has not committed past. Read from the
 * deferred topic itself (headers only matter: source partition, webhook id, the event's key),
 * so it holds whoever wrote them and whatever this process knew before. The assigned
 * partitions take no record until this is done; its time grows with the undrained deferred
 * backlog (logged when it is not small).
 */
import { Effect, Stream } from "effect"
import type { Kafka } from "kafkajs"
import * as H from "../domain/KafkaHeaders.ts"
import type { OffsetsReader } from "../kafka/OffsetsReader.ts"
import { readTopic } from "../kafka/TopicReader.ts"
import type { DeferralLedger } from "./DeferralLedger.ts"

export const restoreLedger = (
  kafka: Kafka,
  offsets: OffsetsReader,
  ledger: DeferralLedger,
  deferred: { readonly topic: string; readonly groupId: string },
  assigned: ReadonlyArray<number>
): Effect.Effect<void> =>
  Effect.gen(function* () {
    const startedAt = Date.now()
    const wanted = new Set(assigned.map(String))
    const [ends, committed] = yield* Effect.all([
      offsets.ends(deferred.topic),
      offsets.committed(deferred.groupId, deferred.topic)
    ])
    const ranges = [...ends].flatMap(([partition, end]) => {
      const start = Math.max(0, committed.get(partition) ?? 0)
      return start < end ? [{ partition, start: String(start), end: String(end) }] : []
    })
    let read = 0
    let restored = 0
    yield* readTopic(kafka, { topic: deferred.topic, ranges, clientGroupPrefix: "hookstream-deferral-restore" }).pipe(
      Stream.runForEach((batch) =>
        Effect.sync(() => {
          for (const r of batch.records) {
            read++
            const h = r.headers
            const source = h[H.SOURCE_PARTITION]
            const key = h[H.ORIGINAL_KEY]
            if (source === undefined || key === undefined || !wanted.has(source) || r.key === null) continue
            ledger.restore(
              r.key.toString("utf8"),
              Buffer.from(key, "base64").toString("latin1"),
              r.partition,
              Number(r.offset)
            )
            restored++
          }
        })
      )
    )
    const ms = Date.now() - startedAt
    if (read > 0) {
      yield* Effect.logInfo("deferral marks restored", { partitions: assigned.join(","), read, restored, ms })
    }
  }).pipe(
    // never leave the partitions waiting: without the marks, order may slip for keys with
    // deferred work, which the log says; nothing is lost
    Effect.catch((e) =>
      Effect.logWarning("could not read the deferred topic to restore deferral marks", { error: String(e) })
    )
  )
