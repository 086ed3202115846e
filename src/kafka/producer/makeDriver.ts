/**
 * The producer driver of the chosen client, connecting as the process's KafkaJS client does.
 * @platformatic/kafka is imported on first use (~1 s of module loading on a busy 2-core
 * machine): commands that never produce with it do not pay for it.
 */
import type { Kafka } from "kafkajs"
import { type KafkaClientOptions, kafkaClientOptions } from "../kafkaClient.ts"
import { kafkajsDriver } from "./kafkajsDriver.ts"
import type { DriverOptions, ProducerClient, ProducerDriver } from "./ProducerDriver.ts"

const platformatic = (connection: KafkaClientOptions, options: DriverOptions): ProducerDriver => {
  let loading: Promise<ProducerDriver> | undefined
  const driver = () => {
    loading ??= import("./platformaticDriver.ts").then((m) => m.platformaticDriver(connection, options))
    return loading
  }
  return {
    client: "platformatic",
    transactionalOffsets: false,
    connect: async () => (await driver()).connect(),
    // never loaded: nothing to close
    disconnect: async () => (loading === undefined ? undefined : (await loading).disconnect()),
    send: async (records) => (await driver()).send(records),
    begin: async () => (await driver()).begin()
  }
}

export const makeDriver = (kafka: Kafka, client: ProducerClient, options: DriverOptions = {}): ProducerDriver => {
  if (client === "kafkajs") return kafkajsDriver(kafka, options)
  const connection = kafkaClientOptions(kafka)
  // a programming error, not a user's: every client of the process is made by makeKafka
  if (connection === undefined) throw new Error("a platformatic producer needs a Kafka client made by makeKafka")
  return platformatic(connection, options)
}
