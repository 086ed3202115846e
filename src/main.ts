/**
 * `npm start`: hookstream on an embedded default. Starts a local Kafka broker from the
 * project's jars (unless KAFKA_BROKERS names a cluster), a local HTTP receiver for the
 * example streams, creates the topics, and runs the processor on streams/ — the same code
 * path as `hookstream run`. Ctrl-C drains, commits and stops everything cleanly.
 */
import { NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { runProcessorWith, sinkTopics } from "./cli/run.ts"
import { runMain } from "./cli/runMain.ts"
import { loadStreams } from "./config/loadStreams.ts"
import { echoReceiver } from "./demo/echoReceiver.ts"
import { makeKafka } from "./kafka/kafkaClient.ts"
import { LocalKafka } from "./kafka/local/LocalKafka.ts"
import { ensureTopics } from "./kafka/topics.ts"

const program = Effect.gen(function* () {
  const broker = yield* LocalKafka
  process.env["KAFKA_BROKERS"] = broker.brokers
  yield* Console.log(
    broker.external
      ? `hookstream: using Kafka at ${broker.brokers} (KAFKA_BROKERS)`
      : `hookstream: local Kafka ${broker.brokers} ready in ${broker.startedInMs} ms (log: ${broker.logFile})`
  )
  const echo = yield* echoReceiver().pipe(
    Effect.map(() => true),
    Effect.catch((e) => Console.error(`hookstream: demo receiver not started (${e.message})`).pipe(Effect.as(false)))
  )
  if (echo) yield* Console.log("hookstream: demo HTTP receiver on http://127.0.0.1:8089 (GET /requests lists calls)")

  // the example streams publish to Kafka topics of their own; the local broker creates none by itself
  const config = yield* loadStreams({ env: process.env })
  yield* ensureTopics(
    makeKafka({ brokers: broker.brokers.split(","), clientId: "hookstream-start" }),
    sinkTopics(config).map((topic) => ({ topic, partitions: 3 }))
  )

  yield* Effect.forkScoped(
    Effect.sleep("3 seconds").pipe(
      Effect.andThen(
        Console.log(
          [
            "",
            "hookstream is running on the example streams in streams/. Try, in another terminal:",
            `  npx hookstream send orders '{"order_id": 1, "customer": {"id": "c-1"}}' --key c-1 --wait --brokers ${broker.brokers}`,
            `Results go to webhooks.results, dead letters to webhooks.dlq; Ctrl-C stops cleanly.`,
            ""
          ].join("\n")
        )
      )
    )
  )
  return yield* runProcessorWith({ brokers: broker.brokers, createTopics: true, partitions: 3 })
})

runMain(program.pipe(Effect.scoped, Effect.provide([LocalKafka.layer(), NodeServices.layer])))
