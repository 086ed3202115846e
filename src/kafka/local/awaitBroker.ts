import { Effect, Schedule } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { LocalKafkaError } from "./LocalKafkaError.ts"

/** One describeCluster round trip with a throw-away admin client that does not retry by itself. */
const describeCluster = (brokers: ReadonlyArray<string>) =>
  Effect.tryPromise({
    try: async () => {
      const admin = new Kafka({
        clientId: "hookstream-local-kafka-probe",
        brokers: [...brokers],
        logLevel: logLevel.NOTHING,
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 }
      }).admin()
      try {
        await admin.connect()
        return await admin.describeCluster()
      } finally {
        await admin.disconnect()
      }
    },
    catch: (cause) => (cause instanceof Error ? cause : new Error(String(cause)))
  })

/**
 * Polls until the cluster answers describeCluster (listing at least `nodes` brokers: a
 * cluster is ready once every node has registered). The broker accepts connections a moment
 * before it serves metadata, so an open port alone is not "ready". Each probe is bounded by the
 * client's connection and request timeouts, so the deadline overshoots by at most ~3 s.
 */
export const awaitBroker = (brokers: string, timeoutMs: number, nodes = 1): Effect.Effect<void, LocalKafkaError> =>
  describeCluster(brokers.split(",")).pipe(
    Effect.filterOrFail(
      (cluster) => cluster.brokers.length >= nodes,
      (cluster) => new Error(`${cluster.brokers.length} of ${nodes} brokers registered`)
    ),
    Effect.retry(Schedule.spaced("200 millis").pipe(Schedule.upTo({ duration: timeoutMs }))),
    Effect.mapError(
      (error) =>
        new LocalKafkaError({
          reason: "not_ready",
          message: `Kafka at ${brokers} did not answer describeCluster within ${timeoutMs} ms (last error: ${error.message})`
        })
    ),
    Effect.asVoid
  )
