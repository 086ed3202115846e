/** Where a record was read from: the coordinates that identify it in Kafka. */
import { Schema } from "effect"

export const KafkaSource = Schema.Struct({
  topic: Schema.String.check(Schema.isNonEmpty()),
  partition: Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)),
  /** Kafka offsets are 64-bit; carried as a decimal string so no precision is lost */
  offset: Schema.String.check(Schema.isPattern(/^\d+$/, { expected: "a decimal offset string such as '42'" }))
}).annotate({ description: "The input record's coordinates in Kafka" })
export type KafkaSource = typeof KafkaSource.Type
