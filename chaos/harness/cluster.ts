/** What the cluster scenarios ask the three-node cluster: who leads what, and whether all replicas are in sync. */
import { cp, readdir } from "node:fs/promises"
import { dirname, join } from "node:path"
import type { Kafka } from "kafkajs"
import { waitFor } from "../../test/support/waitFor.ts"
import { withAdmin } from "./kafkaState.ts"

/** partitions of `topics` each node leads */
export const leadersByNode = (kafka: Kafka, topics: ReadonlyArray<string>): Promise<ReadonlyMap<number, number>> =>
  withAdmin(kafka, async (admin) => {
    const counts = new Map<number, number>()
    for (const topic of (await admin.fetchTopicMetadata({ topics: [...topics] })).topics)
      for (const p of topic.partitions) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1)
    return counts
  })

/** the node leading the most partitions of `topics` (the lowest id on a tie) */
export const busiestLeader = async (kafka: Kafka, topics: ReadonlyArray<string>): Promise<number> => {
  const counts = [...(await leadersByNode(kafka, topics))].sort(([a, x], [b, y]) => y - x || a - b)
  const [node] = counts[0] ?? [1]
  return node
}

/**
 * Waits until every partition of every topic (internal ones included) has all its replicas in
 * sync: a node that came back has caught up, and the next one may go down without any
 * partition falling under min.insync.replicas.
 */
export const awaitInSync = (kafka: Kafka, timeoutMs: number): Promise<void> => {
  let behind = -1
  return waitFor(
    () =>
      withAdmin(kafka, async (admin) => {
        const { topics } = await admin.fetchTopicMetadata()
        behind = topics.reduce((n, t) => n + t.partitions.filter((p) => p.isr.length < p.replicas.length).length, 0)
        return behind === 0
      }),
    { timeoutMs, intervalMs: 500, description: () => `every replica in sync (${behind} partitions behind)` }
  )
}

/**
 * Waits until every node answers metadata for `topics`: a node that came back a moment ago can
 * still answer UNKNOWN_TOPIC_OR_PARTITION for a topic created meanwhile, and KafkaJS clients
 * that happen to ask it first give up on that.
 */
export const awaitTopicsOnEveryNode = (
  nodes: ReadonlyArray<{ readonly address: string }>,
  kafkaFor: (brokers: ReadonlyArray<string>) => Kafka,
  topics: ReadonlyArray<string>,
  timeoutMs: number
): Promise<void> =>
  waitFor(
    async () => {
      for (const node of nodes)
        await withAdmin(kafkaFor([node.address]), (admin) => admin.fetchTopicMetadata({ topics: [...topics] }))
      return true
    },
    { timeoutMs, intervalMs: 500, description: `every node to know ${topics.join(", ")}` }
  )

/**
 * Copies each node's partition directories of `topics` to `<to>/segments-node-<id>/`: what
 * the brokers actually wrote, read with
 * `java -cp '.kafka/lib-<version>/jars/*' org.apache.kafka.tools.DumpLogSegments --deep-iteration
 * --print-data-log --files <dir>/00000000000000000000.log` (a record written twice in one
 * transaction and a commit marker next to nothing read differently there than in a consumer).
 */
export const copyTopicSegments = async (
  nodes: ReadonlyArray<{ readonly id: number; readonly logFile: string }>,
  topics: ReadonlyArray<string>,
  to: string
): Promise<void> => {
  for (const node of nodes) {
    // <run>/node-<id>/broker.log → <run>/data/node-<id> (KafkaNodes.ts)
    const data = join(dirname(dirname(node.logFile)), "data", `node-${node.id}`)
    for (const dir of await readdir(data).catch(() => []))
      if (topics.some((t) => dir.startsWith(`${t}-`) && /^\d+$/.test(dir.slice(t.length + 1))))
        await cp(join(data, dir), join(to, `segments-node-${node.id}`, dir), { recursive: true })
  }
}
