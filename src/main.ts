/**
 * `npm start`: hookstream on an embedded default. Starts a local Kafka broker from the
 * project's jars (unless KAFKA_BROKERS names a cluster) and announces it as this checkout's
 * Kafka (`.kafka/npm-start.json`: every `hookstream` command run from the checkout uses it
 * while npm start runs), a local HTTP receiver for the example streams, creates the topics,
 * and runs the processor on streams/ — the same code path as `hookstream run` — and the HTTP
 * ingress on the same streams (127.0.0.1:8080, or a free port when taken; printed), sharing
 * one ops server (/healthz, /readyz, /metrics, the console).
 *
 * Ctrl-C stops in order: the ingress (no new events), then the processor (drains, commits,
 * leaves its group), then the ops server, and only then the broker. The broker runs in a
 * process group of its own, so the terminal's SIGINT does not take it down under them.
 */
import { NodeServices } from "@effect/platform-node"
import { Console, Effect, Fiber, Option } from "effect"
import { defaultIngressInput, startIngressCommand } from "./cli/ingress.ts"
import { runProcessorWith, sinkTopics } from "./cli/run.ts"
import { runMain } from "./cli/runMain.ts"
import { loadStreams } from "./config/loadStreams.ts"
import { echoReceiver } from "./demo/echoReceiver.ts"
import { prepareExampleSinks } from "./demo/prepareSinks.ts"
import { startHints } from "./demo/startHints.ts"
import { DEFAULT_INPUT_TOPIC } from "./domain/WebhookEvent.ts"
import { startOpsServer } from "./ingress/startIngress.ts"
import { makeKafka } from "./kafka/kafkaClient.ts"
import { announceCheckoutBroker, CHECKOUT_BROKER_FILE } from "./kafka/local/checkoutBroker.ts"
import { LocalKafka } from "./kafka/local/LocalKafka.ts"
import { ensureTopics } from "./kafka/topics.ts"
import { DEFAULT_OPS_PORT } from "./observability/opsPort.ts"

const program = Effect.gen(function* () {
  const broker = yield* LocalKafka
  process.env["KAFKA_BROKERS"] = broker.brokers
  yield* Console.log(
    broker.external
      ? `hookstream: using Kafka at ${broker.brokers} (KAFKA_BROKERS)`
      : `hookstream: local Kafka ${broker.brokers} ready in ${broker.startedInMs} ms (log: ${broker.logFile})`
  )
  yield* announceCheckoutBroker(broker.brokers)
  yield* Console.log(
    `hookstream: commands run from this checkout use ${broker.brokers} while npm start runs (${CHECKOUT_BROKER_FILE})`
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
    [DEFAULT_INPUT_TOPIC, ...sinkTopics(config)].map((topic) => ({ topic, partitions: 3 }))
  )
  yield* prepareExampleSinks

  // Finalizers run last-in first-out: the ops server (first) closes last, the processor's
  // fiber is interrupted (drain, commit) after the ingress (last) has closed.
  const ops = yield* startOpsServer("127.0.0.1", DEFAULT_OPS_PORT, true).pipe(
    Effect.catchTag("OpsServerError", (e) => Effect.die(e))
  )
  // one ops server for both: /readyz covers the ingress and the processor, /metrics both registries' collectors
  const processor = yield* Effect.forkScoped(
    runProcessorWith({ brokers: Option.some(broker.brokers), createTopics: true, partitions: 3 }, ops)
  )
  const ingress = yield* startIngressCommand(
    defaultIngressInput({ brokers: Option.some(broker.brokers), host: "127.0.0.1", opsHost: "127.0.0.1" }),
    true,
    ops
  )
  yield* Console.log(
    `hookstream: ingress on ${ingress.url}/webhooks/<webhook_id> (${ingress.webhookIds.join(", ")}); ops on ${ingress.opsUrl}`
  )
  yield* Effect.addFinalizer(() =>
    Console.log("hookstream: stopping: the ingress, then the processor (drain, commit), then the broker")
  )
  yield* Effect.forkScoped(
    Effect.sleep("3 seconds").pipe(
      Effect.andThen(
        Console.log(
          startHints({
            ingressUrl: ingress.url,
            consoleUrl: process.env["HOOKSTREAM_CONSOLE"] === "false" ? undefined : `${ingress.opsUrl}/console/`,
            githubSecret: process.env["GITHUB_WEBHOOK_SECRET"] ?? "dev-only-secret"
          })
        )
      )
    )
  )
  return yield* Fiber.join(processor)
})

runMain(program.pipe(Effect.scoped, Effect.provide([LocalKafka.layer(), NodeServices.layer])))
