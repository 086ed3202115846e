/**
 * `hookstream send <webhook_id> <json | @file>`: produce one webhook event to the input
 * topic (idempotent producer, acks=all) and print its event id and where it landed; with
 * `--wait`, also wait for its outcome, a result record or a dead letter, whichever comes,
 * and print it. The exit code says how it went: 0 succeeded (or filtered by the stream's own
 * filter, a final and intended outcome), 1 anything else.
 */
import { readFile } from "node:fs/promises"
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { errorMessageOf, formatCoordinate } from "../dlq/DlqEntry.ts"
import type { WebhookEvent } from "../domain/WebhookEvent.ts"
import { ulid } from "../ingress/eventId.ts"
import { makeProducer } from "../kafka/producer/Producer.ts"
import { type SeenOutcome, watchOutcome } from "../lookup/watchOutcome.ts"
import { parseDuration } from "../schema/Duration.ts"
import { kafkaFor } from "./brokers.ts"
import { CliExit, EXIT_FAILURE, failure, usageError } from "./CliExit.ts"
import { runFlags } from "./run.ts"

const readPayload = (arg: string): Effect.Effect<unknown, CliExit> =>
  Effect.gen(function* () {
    const text = arg.startsWith("@")
      ? yield* Effect.tryPromise({ try: () => readFile(arg.slice(1), "utf8"), catch: () => arg.slice(1) }).pipe(
          Effect.catch((file) => failure("send", `${file}: cannot be read`))
        )
      : arg
    try {
      return JSON.parse(text) as unknown
    } catch (e) {
      const where = arg.startsWith("@") ? arg.slice(1) : "payload"
      return yield* usageError("send", `${where}: not JSON (${e instanceof Error ? e.message : String(e)})`)
    }
  })

/** Prints the outcome (the result record, else the dead letter) and answers the exit code. */
const report = (eventId: string, seen: SeenOutcome) =>
  Effect.gen(function* () {
    const { result, deadLetter } = seen
    const record = result !== undefined ? JSON.parse(result.value) : deadLetter?.record
    if (record !== undefined) yield* Console.log(JSON.stringify(record, null, 2))
    if (deadLetter !== undefined) {
      const reason = deadLetter.record?.reason ?? deadLetter.problem ?? "dead-lettered"
      const why = errorMessageOf(deadLetter)
      yield* Console.error(
        `hookstream send: ${result === undefined ? "" : `${result.status}, `}dead-lettered (${reason}) at ${formatCoordinate(deadLetter.coordinate)}${why === undefined ? "" : `: ${why}`}`
      )
    } else if (result !== undefined && result.status === "filtered") {
      // the stream's own filter dropped it: a final, intended outcome, not a failure
      yield* Console.error(`hookstream send: filtered by the stream's filter (result at ${result.coordinate})`)
      return
    } else if (result !== undefined && result.status !== "succeeded") {
      yield* Console.error(`hookstream send: ${result.status} (result at ${result.coordinate})`)
    }
    if (result?.status === "succeeded") return
    yield* Console.error(`'hookstream event ${eventId}' shows everything about it`)
    return yield* new CliExit({ code: EXIT_FAILURE })
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
    dlq: runFlags.dlq,
    key: Flag.String("key").pipe(Flag.withDescription("Kafka key (the ordering key)"), Flag.optional),
    id: Flag.String("id").pipe(
      Flag.withDescription("Event id (default: a new ULID, whose time lets `hookstream event` find it quickly)"),
      Flag.optional
    ),
    wait: Flag.Boolean("wait").pipe(
      Flag.withDescription(
        "Wait for the event's outcome (its result record or its dead letter, whichever comes) and print it; exit 0 only if it succeeded or the stream's filter dropped it"
      ),
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
    if (timeoutMs === undefined) return yield* usageError("send", `--timeout: not a duration: ${input.timeout}`)
    const eventId = Option.getOrElse(input.id, () => ulid())
    const event: WebhookEvent = {
      webhook_id: input.webhookId,
      id: eventId,
      payload,
      received_at: new Date().toISOString()
    }
    const kafka = yield* kafkaFor("send", input.brokers)
    const kafkaFailed = (e: { readonly operation: string; readonly message: string }) =>
      failure("send", `Kafka failed (${e.operation}: ${e.message})`)
    const watch = input.wait
      ? yield* watchOutcome(kafka, { results: input.results, dlq: input.dlq }).pipe(
          Effect.catchTag("KafkaError", kafkaFailed)
        )
      : undefined
    // the kit's producer (idempotent, acks=all, Java's partitioner); KafkaJS, like the outcome watcher
    const positions = yield* Effect.scoped(
      Effect.flatMap(makeProducer(kafka, { client: "kafkajs" }), (producer) =>
        producer.send([
          { topic: input.input, key: Option.getOrNull(input.key), value: JSON.stringify(event), headers: {} }
        ])
      )
    ).pipe(Effect.catchTag("KafkaError", kafkaFailed))
    const where = positions[0]
    yield* Console.log(
      `sent event ${eventId} to ${input.input}${where === undefined ? "" : ` partition ${where.partition} offset ${where.offset}`}`
    )
    if (watch === undefined) return
    const seen = yield* watch.await(eventId, timeoutMs).pipe(Effect.catchTag("KafkaError", kafkaFailed))
    if (seen === undefined)
      return yield* failure(
        "send",
        `no outcome for ${eventId} on ${input.results} or ${input.dlq} within ${input.timeout} (is a processor running: npm start, hookstream run?); 'hookstream event ${eventId}' looks again later`
      )
    return yield* report(eventId, seen)
  })
).pipe(
  Command.withDescription(
    "Produce one webhook event to the input topic; with --wait, print its outcome (result record or dead letter, whichever comes). Exit 0: sent (with --wait: succeeded, or filtered by the stream's filter); 1: failed, partial, timed out, dead-lettered, no outcome within --timeout, or Kafka failed; 2: usage error."
  ),
  Command.withExamples([
    {
      command: `hookstream send orders '{"order_id": 42, "customer": {"id": "c-42"}}' --key c-42 --id order-42 --wait`,
      description: "Send an order and print its result (exit 0: succeeded)"
    },
    {
      command: `hookstream send orders '{"order_id": 43}' --id order-43 --wait`,
      description: "No customer id for the publish step's key: prints the outcome and the dead letter (exit 1)"
    },
    {
      command: "hookstream send github-push @examples/push.json --key acme/shop",
      description: "The payload from a file; no waiting (exit 0 once Kafka has it)"
    }
  ])
)
