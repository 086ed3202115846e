/**
 * Event identity. A producer may name its event (`id` in the envelope); otherwise the id
 * is derived from where the record sits in Kafka, so a redelivered record keeps its id
 * and destinations can dedupe on `<webhook_id>:<event_id>:<module id>`.
 */
import type { KafkaSource } from "./KafkaSource.ts"

/**
 * `<topic>-<partition>-<offset>`, e.g. `webhooks-3-1042`. Readable on purpose: an operator
 * can find the record from the id. Unambiguous whatever the topic name holds: partition and offset
 * are always the last two `-` separated fields.
 */
export const deriveEventId = (source: KafkaSource): string => `${source.topic}-${source.partition}-${source.offset}`

/** The envelope's own id when it has one, else the derived id. */
export const eventIdFor = (envelopeId: string | undefined, source: KafkaSource): string =>
  envelopeId ?? deriveEventId(source)
