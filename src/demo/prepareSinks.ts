/**
 * Broker topology the example streams publish into, for `npm start` only. hookstream's
 * rabbitmq and nats destinations declare nothing on purpose (a mistyped name must fail,
 * not silently create a queue), so the embedded default creates what its examples need:
 * the `payments` exchange with a queue bound to it, and a JetStream stream for `github.>`.
 * Idempotent; a sink that is down is reported and left to the chains' own error handling.
 */
import { jetstreamManager } from "@nats-io/jetstream"
import { connect as natsConnect } from "@nats-io/transport-node"
import amqp from "amqplib"
import { Console, Effect } from "effect"

const rabbit = Effect.tryPromise(async () => {
  const connection = await amqp.connect("amqp://guest:guest@127.0.0.1:5672")
  try {
    const channel = await connection.createChannel()
    await channel.assertExchange("payments", "topic", { durable: true })
    await channel.assertQueue("payments.settlements", { durable: true })
    await channel.bindQueue("payments.settlements", "payments", "settlement.#")
    await channel.close()
  } finally {
    await connection.close()
  }
})

const nats = Effect.tryPromise(async () => {
  const connection = await natsConnect({ servers: process.env["NATS_URL"] ?? "nats://127.0.0.1:4222", timeout: 3_000 })
  try {
    const jsm = await jetstreamManager(connection)
    const exists = await jsm.streams.info("GITHUB").then(
      () => true,
      () => false
    )
    if (!exists) await jsm.streams.add({ name: "GITHUB", subjects: ["github.>"], duplicate_window: 120_000_000_000 })
  } finally {
    await connection.close()
  }
})

export const prepareExampleSinks: Effect.Effect<void> = Effect.all(
  [
    rabbit.pipe(
      Effect.catch((e) => Console.error(`hookstream: RabbitMQ topology for the examples not created (${e.message})`))
    ),
    nats.pipe(Effect.catch((e) => Console.error(`hookstream: NATS stream for the examples not created (${e.message})`)))
  ],
  { discard: true }
)
