/** The producer driver of the chosen client, connecting as the process's KafkaJS client does. */
import type { Kafka } from "kafkajs"
import { kafkaClientOptions } from "../kafkaClient.ts"
import { kafkajsDriver } from "./kafkajsDriver.ts"
import type { DriverOptions, ProducerClient, ProducerDriver } from "./ProducerDriver.ts"
import { platformaticDriver } from "./platformaticDriver.ts"

/** What `--producer-client` defaults to: the client the measurements favour (docs/benchmarks.md). */
export const DEFAULT_PRODUCER_CLIENT: ProducerClient = "platformatic"

export const makeDriver = (kafka: Kafka, client: ProducerClient, options: DriverOptions = {}): ProducerDriver => {
  if (client === "kafkajs") return kafkajsDriver(kafka, options)
  const connection = kafkaClientOptions(kafka)
  // a programming error, not a user's: every client of the process is made by makeKafka
  if (connection === undefined) throw new Error("a platformatic producer needs a Kafka client made by makeKafka")
  return platformaticDriver(connection, options)
}
