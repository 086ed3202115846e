/**
 * KafkaJS 2.2.4's `sendBatch` must never be handed records that may go to different brokers.
 * One call sends one request per leader, in parallel, and retries the whole call when one of
 * them fails, re-sending to the leaders "without a response yet" (its `responsePerBroker`).
 * Both ways this goes wrong were seen in the rolling_restart chaos scenario (exactly-once,
 * three nodes), read back from the partitions' log segments:
 *
 * - lost: a partition's leader answers NOT_LEADER_OR_FOLLOWER; on the retry its partition
 *   maps to a broker that already answered for its own partitions, so nothing is sent for it
 *   and the call succeeds. In a transaction the partition was already added: the commit writes
 *   its marker next to nothing, and the offsets of those events commit without their outcomes.
 * - duplicated: one request fails at once (CONCURRENT_TRANSACTIONS from AddPartitionsToTxn,
 *   routine right after the previous commit) while another broker's is still in flight; the
 *   retry, 5 ms later, sends that one again once it answered, with the next sequence numbers
 *   (the broker cannot drop it as a repeat). Both copies commit in one transaction.
 *
 * So a call carries one partition: one leader, whatever moves, and a retry resends exactly
 * what failed, with the same sequence numbers, to the partition's leader of the moment.
 * Partitions with a single replica never change leader: those of one broker share a call (a
 * one-node cluster sends as before, one request per batch).
 *
 * The calls run one after another, so a failure leaves no request in flight behind it when
 * the caller aborts the transaction. (Side by side they were no faster: each call's
 * AddPartitionsToTxn meets the others' at the transaction coordinator, which answers all but
 * one CONCURRENT_TRANSACTIONS.) The cost, on a replicated cluster only: a round trip to the
 * coordinator and one to the leader per partition in every send, where KafkaJS made one per
 * leader, in parallel. rolling_restart's results partitions saw a transaction every 1.0–1.7 s
 * (p50, quick runs) instead of 0.27 s (one run before).
 */

import { type Message, type PartitionerArgs, Partitioners, type PartitionMetadata } from "kafkajs"

export interface TopicMessages {
  readonly topic: string
  readonly messages: ReadonlyArray<Message>
}

/** Where a message goes: its partition, and the call it may share (messages of one call: one broker for good). */
export interface Placement {
  readonly partition: number
  readonly call: string
}

/** One `sendBatch` call's messages, each carrying its partition. */
export type Call = Array<{ topic: string; messages: Array<Message> }>

/**
 * Splits `topicMessages` into calls by placement, order kept within each topic; `placeOf`
 * answers undefined while a topic's partitions are unknown (those messages are left in
 * `unplaced`, in order).
 */
export const splitIntoCalls = (
  topicMessages: ReadonlyArray<TopicMessages>,
  placeOf: (topic: string, message: Message) => Placement | undefined
): { readonly calls: ReadonlyArray<Call>; readonly unplaced: ReadonlyArray<TopicMessages> } => {
  const calls = new Map<string, Map<string, Array<Message>>>()
  const unplaced: Array<TopicMessages> = []
  for (const { topic, messages } of topicMessages) {
    const left: Array<Message> = []
    for (const message of messages) {
      const place = left.length > 0 ? undefined : placeOf(topic, message)
      if (place === undefined) {
        left.push(message)
        continue
      }
      let call = calls.get(place.call)
      if (call === undefined) {
        call = new Map()
        calls.set(place.call, call)
      }
      const placed = { ...message, partition: place.partition }
      const list = call.get(topic)
      if (list === undefined) call.set(topic, [placed])
      else list.push(placed)
    }
    if (left.length > 0) unplaced.push({ topic, messages: left })
  }
  return {
    calls: Array.from(calls.values(), (call) => Array.from(call, ([topic, messages]) => ({ topic, messages }))),
    unplaced
  }
}

/** The placement of a message among `partitions` (KafkaJS's view of the topic), given its partition. */
export const placement = (
  topic: string,
  partition: number,
  partitions: ReadonlyArray<PartitionMetadata>
): Placement => {
  const meta = partitions.find((p) => p.partitionId === partition)
  return meta !== undefined && meta.replicas.length === 1
    ? { partition, call: `broker ${meta.leader}` }
    : { partition, call: `partition ${partition} of ${topic}` }
}

export interface PartitionedSend {
  /** the producer's partitioner: KafkaJS's default one, noting each topic's partitions as KafkaJS sees them */
  readonly createPartitioner: () => (args: PartitionerArgs) => number
  /** sends in calls that each reach one broker, one after another; resolves with every call's results */
  readonly send: <R>(
    topicMessages: ReadonlyArray<TopicMessages>,
    call: (call: Call) => Promise<Array<R>>
  ) => Promise<Array<R>>
}

export const makePartitionedSend = (): PartitionedSend => {
  const partitionsOf = new Map<string, Array<PartitionMetadata>>()
  // the same partitioner as KafkaJS's: a message lands where KafkaJS (and the Java client) would put it
  const partitioner = Partitioners.DefaultPartitioner()
  const placeOf = (topic: string, message: Message): Placement | undefined => {
    const partitionMetadata = partitionsOf.get(topic)
    if (partitionMetadata === undefined) return undefined
    return placement(topic, partitioner({ topic, partitionMetadata, message }), partitionMetadata)
  }

  const send = async <R>(
    topicMessages: ReadonlyArray<TopicMessages>,
    call: (call: Call) => Promise<Array<R>>
  ): Promise<Array<R>> => {
    const results: Array<R> = []
    let { calls, unplaced } = splitIntoCalls(topicMessages, placeOf)
    // a topic KafkaJS has not partitioned for yet: its next message goes alone (one partition,
    // one leader), which teaches us the topic's partitions; the rest follows in order
    while (unplaced.length > 0) {
      for (const { topic, messages } of unplaced)
        if (messages[0] !== undefined) results.push(...(await call([{ topic, messages: [messages[0]] }])))
      const split = splitIntoCalls(
        unplaced.map(({ topic, messages }) => ({ topic, messages: messages.slice(1) })),
        placeOf
      )
      calls = [...calls, ...split.calls]
      unplaced = split.unplaced
    }
    for (const c of calls) results.push(...(await call(c)))
    return results
  }

  return {
    createPartitioner: () => (args) => {
      partitionsOf.set(args.topic, args.partitionMetadata)
      return partitioner(args)
    },
    send
  }
}
