/**
 * The Kafka client of a long-running command (`run`, `ingress`), with its connection state as
 * one of the ops server's readiness checks: /readyz turns 503 the moment a broker the client
 * talks to goes away, not when a request finally times out (see src/kafka/ConnectionWatch.ts).
 */
import { Effect, type Scope } from "effect"
import type { Kafka } from "kafkajs"
import { type KafkaClientOptions, makeWatchedKafka } from "../kafka/kafkaClient.ts"
import type { OpsServer } from "../observability/opsServer.ts"

export const kafkaWithReadiness = (
  ops: OpsServer,
  check: string,
  options: KafkaClientOptions
): Effect.Effect<Kafka, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => makeWatchedKafka(options)),
    ({ watch }) => Effect.sync(watch.close)
  ).pipe(
    Effect.map(({ kafka, watch }) => {
      ops.addReadinessCheck({ name: check, problem: watch.problem })
      return kafka
    })
  )
