/**
 * `hookstream send <webhook_id> <json | @file>`: produce one webhook event to the input
 * topic (idempotent producer, acks=all) and print its event id and where it landed; with
 * `--wait`, also wait for its result record and print it.
 */
import { randomUUID } from "node:crypto"
import { readFile } from "node:fs/promises"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { parseDuration } from "../config/Duration.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import { watchResults } from "../kafka/awaitResult.ts"
import { makeKafka, parseBrokers } from "../kafka/kafkaClient.ts"
import { makeProducer } from "../kafka/producer/Producer.ts"
import { CliExit, EXIT_FAILURE, EXIT_USAGE } from "./CliExit.ts"
import { runFlags } from "./run.ts"

const readPayload = (arg: string): Effect.Effect<unknown, CliExit> =>
  Effect.gen(function* () {
    const text = arg.startsWith("@")
      ? yield* Effect.tryPromise({ try: () => readFile(arg.slice(1), "utf8"), catch: () => arg.slice(1) }).pipe(
          Effect.catch((file) =>
            Console.error(`hookstream send: ${file}: cannot be read`).pipe(
              Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
            )
          )
        )
      : arg
    try {
      return JSON.parse(text) as unknown
    } catch (e) {
      const where = arg.startsWith("@") ? arg.slice(1) : "payload"
      yield* Console.error(`hookstream send: ${where}: not JSON (${e instanceof Error ? e.message : String(e)})`)
      return yield* new CliExit({ code: EXIT_USAGE })
    }
  })

export const sendCommand = Command.make(
  "send",
  {
    webhookId: Argument.String("webhook_id").pipe(Argument.withDescription("The stream to send to")),
    payload: Argument.String("payload").pipe(Argument.withDescription("The payload as JSON, or @file with JSON")),
    // the same flags (names, env variables, help) as `hookstream run`
    brokers: runFlags.brokers,
    input: runFlags.input,
    results: runFlags.results,
    key: Flag.String("key").pipe(Flag.withDescription("Kafka key (the ordering key)"), Flag.optional),
    id: Flag.String("id").pipe(Flag.withDescription("Event id (default: a new UUID)"), Flag.optional),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription("Wait for the result record and print it"),
      Flag.withDefault(false)
    ),
    timeout: Flag.String("timeout").pipe(
      Flag.withDescription("How long --wait waits, e.g. 30s"),
      Flag.withDefault("30s")
    )
  },
  Effect.fn("send")(function* (input) {
    const payload = yield* readPayload(input.payload)
    const timeoutMs = parseDuration(input.timeout)
    if (timeoutMs === undefined) {
      yield* Console.error(`hookstream send: --timeout: not a duration: ${input.timeout}`)
      return yield* new CliExit({ code: EXIT_USAGE })
    }
    const eventId = Option.getOrElse(input.id, () => randomUUID())
    const event: WebhookEvent = {
      webhook_id: input.webhookId,
      id: eventId,
      payload,
      received_at: new Date().toISOString()
    }
    const kafka = makeKafka({ brokers: parseBrokers(input.brokers), clientId: "hookstream-send", logToStderr: true })
    const watch = input.wait ? yield* watchResults(kafka, input.results) : undefined
    // the kit's producer (idempotent, acks=all, Java's partitioner); KafkaJS, like the result watcher
    const positions = yield* Effect.scoped(
      Effect.flatMap(makeProducer(kafka, { client: "kafkajs" }), (producer) =>
        producer.send([
          { topic: input.input, key: Option.getOrNull(input.key), value: JSON.stringify(event), headers: {} }
        ])
      )
    )
    const where = positions[0]
    yield* Console.log(
      `sent event ${eventId} to ${input.input}${where === undefined ? "" : ` partition ${where.partition} offset ${where.offset}`}`
    )
    if (watch === undefined) return
    const result = yield* watch.await(eventId, timeoutMs)
    if (result === undefined) {
      yield* Console.error(`hookstream send: no result for ${eventId} on ${input.results} within ${input.timeout}`)
      return yield* new CliExit({ code: EXIT_FAILURE })
    }
    yield* Console.log(JSON.stringify(JSON.parse(result), null, 2))
  })
).pipe(
  Command.withDescription("Produce one webhook event to the input topic (and, with --wait, print its result record)"),
  Command.withExamples([
    { command: `hookstream send orders '{"order_id": 42}' --wait`, description: "Send and wait for the result" },
    { command: "hookstream send github-push @push.json --key repo-1", description: "Payload from a file, keyed" }
  ])
)
