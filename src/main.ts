/**
 * `npm start`: hookstream on an embedded default. Starts a local Kafka broker from the
 * project's jars (unless KAFKA_BROKERS names a cluster), a local HTTP receiver for the
 * example streams, creates the topics, and runs the processor on streams/ — the same code
 * path as `hookstream run` — and the HTTP ingress on the same streams (127.0.0.1:8080, or a
 * free port when taken; printed), sharing one ops server (/healthz, /readyz, /metrics). Ctrl-C
 * drains, commits and stops everything cleanly.
 */
import { NodeServices } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { defaultIngressInput, startIngressCommand } from "./cli/ingress.ts"
import { runProcessorWith, sinkTopics } from "./cli/run.ts"
import { runMain } from "./cli/runMain.ts"
import { loadStreams } from "./config/loadStreams.ts"
import { echoReceiver } from "./demo/echoReceiver.ts"
import { prepareExampleSinks } from "./demo/prepareSinks.ts"
import { DEFAULT_INPUT_TOPIC } from "./domain/WebhookEvent.ts"
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
    [DEFAULT_INPUT_TOPIC, ...sinkTopics(config)].map((topic) => ({ topic, partitions: 3 }))
  )
  yield* prepareExampleSinks
  const ingress = yield* startIngressCommand(
    defaultIngressInput({ brokers: broker.brokers, host: "127.0.0.1", opsHost: "127.0.0.1" }),
    true
  )
  yield* Console.log(
    `hookstream: ingress on ${ingress.url}/webhooks/<webhook_id> (${ingress.webhookIds.join(", ")}); ops on ${ingress.opsUrl}`
  )
  const body = `'{"ref":"refs/heads/main","repository":{"full_name":"acme/shop"}}'`
  const secret = process.env["GITHUB_WEBHOOK_SECRET"] ?? "dev-only-secret"

  yield* Effect.forkScoped(
    Effect.sleep("3 seconds").pipe(
      Effect.andThen(
        Console.log(
          [
            "",
            "hookstream is running on the example streams in streams/. Try, in another terminal:",
            `  npx hookstream send orders '{"order_id": 1, "customer": {"id": "c-1"}}' --key c-1 --wait --brokers ${broker.brokers}`,
            "or through the HTTP ingress, signed like GitHub does:",
            `  BODY=${body}; curl -i ${ingress.url}/webhooks/github-push -H 'content-type: application/json' \\`,
            `    -H "x-hub-signature-256: sha256=$(printf %s "$BODY" | openssl dgst -sha256 -hmac '${secret}' -r | cut -d' ' -f1)" -d "$BODY"`,
            `Results go to webhooks.results, dead letters to webhooks.dlq; Ctrl-C stops cleanly.`,
            ...(process.env["HOOKSTREAM_CONSOLE"] === "false"
              ? []
              : [`Operator console (live flow, streams, dead letters, replay): ${ingress.opsUrl}/console/`]),
            ""
          ].join("\n")
        )
      )
    )
  )
  // one ops server for both: /readyz covers the ingress and the processor, /metrics both registries' collectors
  return yield* runProcessorWith({ brokers: broker.brokers, createTopics: true, partitions: 3 }, ingress.ops)
})

runMain(program.pipe(Effect.scoped, Effect.provide([LocalKafka.layer(), NodeServices.layer])))
