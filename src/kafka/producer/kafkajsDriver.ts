/**
 * The producer port on KafkaJS. Transactions carry consumer offsets (`sendOffsets`): KafkaJS
 * 2.2.4 commits them without the consumer's generation (TxnOffsetCommit v0-2); a zombie is fenced
 * by its transactional id, which is stable per instance. Every `sendBatch` call carries one
 * partition (partitionedSend.ts): KafkaJS loses or repeats records of a call that spans leaders.
 */
import { CompressionTypes, type Kafka, type Message, type RecordMetadata, type Transaction } from "kafkajs"
import { groupByTopic } from "./batching.ts"
import type {
  CommitOffsets,
  DriverOptions,
  DriverTransaction,
  ProducerDriver,
  ProducerRecord,
  RecordPosition
} from "./ProducerDriver.ts"
import { makePartitionedSend } from "./partitionedSend.ts"
import { ACK_TIMEOUT_MS, kafkajsProducerConfig } from "./producerSettings.ts"

const toMessage = (r: ProducerRecord): Message => ({ key: r.key, value: r.value, headers: { ...r.headers } })

const offsetsFor = (offsets: CommitOffsets) => ({
  consumerGroupId: offsets.groupId,
  topics: [{ topic: offsets.topic, partitions: offsets.partitions.map((p) => ({ ...p })) }]
})

export const kafkajsDriver = (kafka: Kafka, options: DriverOptions = {}): ProducerDriver => {
  const partitioned = makePartitionedSend()
  const producer = kafka.producer({
    ...kafkajsProducerConfig(options),
    createPartitioner: partitioned.createPartitioner
  })
  const timeout = options.ackTimeoutMs ?? ACK_TIMEOUT_MS
  const sendBatch = (
    records: ReadonlyArray<ProducerRecord>,
    send: (batch: Parameters<Transaction["sendBatch"]>[0]) => Promise<Array<RecordMetadata>>
  ) =>
    partitioned.send(groupByTopic(records, toMessage), (topicMessages) =>
      send({ topicMessages, acks: -1, timeout, compression: CompressionTypes.None })
    )
  const transaction = (txn: Transaction): DriverTransaction => ({
    send: async (records) => {
      await sendBatch(records, (batch) => txn.sendBatch(batch))
    },
    sendOffsets: (offsets) => txn.sendOffsets(offsetsFor(offsets)),
    commit: () => txn.commit(),
    abort: () => (txn.isActive() ? txn.abort() : Promise.resolve())
  })
  return {
    client: "kafkajs",
    transactionalOffsets: true,
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    send: async (records): Promise<ReadonlyArray<RecordPosition>> =>
      (await sendBatch(records, (batch) => producer.sendBatch(batch))).map((m) => ({
        topic: m.topicName,
        partition: m.partition,
        offset: m.baseOffset
      })),
    begin: async () => transaction(await producer.transaction())
  }
}
