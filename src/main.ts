/**
 * Interim entry point (`npm start`) until the processor lands: brings up the local Kafka broker
 * (or checks KAFKA_BROKERS), says how to reach it, and holds it until SIGINT/SIGTERM, when
 * runMain interrupts the program and the layer's finalizer stops the broker cleanly.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { LocalKafka } from "./kafka/local/LocalKafka.ts"

const program = Effect.gen(function* () {
  const kafka = yield* LocalKafka
  yield* Console.log(
    kafka.external
      ? `hookstream: using Kafka at ${kafka.brokers} (KAFKA_BROKERS)`
      : `hookstream: local Kafka broker ready in ${kafka.startedInMs} ms (log: ${kafka.logFile})`
  )
  yield* Console.log(`KAFKA_BROKERS=${kafka.brokers}`)
  yield* Console.log("hookstream: the event processor is not wired in yet; Ctrl-C stops the broker")
  return yield* Effect.never
})

program.pipe(Effect.provide(LocalKafka.layer()), NodeRuntime.runMain)
