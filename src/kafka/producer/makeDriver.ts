/**
 * The producer driver of the chosen client, connecting as the process's KafkaJS client does.
 * @platformatic/kafka is imported when a driver of it is made (~1 s of module loading on a busy
 * 2-core machine): commands that never produce with it do not pay for it, and a command that
 * does loads it while it starts its other parts (the ingress its HTTP server), not on its first
 * connect, which would leave the ingress answering 503 "not connected" for that second.
 */
import type { Kafka } from "kafkajs"
import { type KafkaClientOptions, kafkaClientOptions } from "../kafkaClient.ts"
import { kafkajsDriver } from "./kafkajsDriver.ts"
import type { DriverOptions, ProducerClient, ProducerDriver } from "./ProducerDriver.ts"

const platformatic = (connection: KafkaClientOptions, options: DriverOptions): ProducerDriver => {
  const loading = import("./platformaticDriver.ts").then((m) => m.platformaticDriver(connection, options))
  // a failure to load is the first call's to report
  loading.catch(() => undefined)
  return {
    client: "platformatic",
    transactionalOffsets: false,
    connect: async () => (await loading).connect(),
    disconnect: async () => (await loading).disconnect(),
    send: async (records) => (await loading).send(records),
    begin: async () => (await loading).begin()
  }
}

export const makeDriver = (kafka: Kafka, client: ProducerClient, options: DriverOptions = {}): ProducerDriver => {
  if (client === "kafkajs") return kafkajsDriver(kafka, options)
  const connection = kafkaClientOptions(kafka)
  // a programming error, not a user's: every client of the process is made by makeKafka
  if (connection === undefined) throw new Error("a platformatic producer needs a Kafka client made by makeKafka")
  return platformatic(connection, options)
}
