/** What the broker says about a scenario's topics and group. */
import type { Kafka } from "kafkajs"
import { waitFor } from "../../test/support/waitFor.ts"

/** Runs `use` with a connected admin client and always disconnects it. */
export const withAdmin = async <A>(
  kafka: Kafka,
  use: (admin: ReturnType<Kafka["admin"]>) => Promise<A>
): Promise<A> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await use(admin)
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** Σ over partitions of (end offset − the group's committed offset): what the group has not committed. */
export const groupLag = (kafka: Kafka, group: string, topic: string): Promise<number> =>
  withAdmin(kafka, async (admin) => {
    const ends = await admin.fetchTopicOffsets(topic)
    const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    const done = new Map<number, number>()
    for (const t of committed) for (const p of t.partitions) done.set(p.partition, Math.max(0, Number(p.offset)))
    return ends.reduce((sum, p) => sum + Math.max(0, Number(p.high) - (done.get(p.partition) ?? 0)), 0)
  })

/** Records on a topic (Σ end offsets; no transactions on input topics). */
export const topicRecords = (kafka: Kafka, topic: string): Promise<number> =>
  withAdmin(kafka, async (admin) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0))

/** Waits until the group has committed the whole input topic: every outcome is durable. */
export const waitForGroupCommitted = (kafka: Kafka, group: string, topic: string, timeoutMs: number) => {
  let lag = -1
  return waitFor(
    async () => {
      lag = await groupLag(kafka, group, topic)
      return lag === 0
    },
    { timeoutMs, intervalMs: 500, description: () => `group ${group} committed all of ${topic} (lag ${lag})` }
  )
}

/**
 * Waits until the processor holds no event (hookstream_inflight_events = 0 on its /metrics).
 * With every event's outcome already read back, nothing more is on its way. (Where input
 * records were written in transactions — a replay — the group's committed offset stops
 * before the trailing commit marker, so group lag never reaches 0 there.)
 */
export const waitForProcessorIdle = (metrics: () => Promise<ReadonlyMap<string, number>>, timeoutMs: number) => {
  let inFlight = -1
  return waitFor(
    async () => {
      inFlight = (await metrics()).get("hookstream_inflight_events") ?? -1
      return inFlight === 0
    },
    { timeoutMs, intervalMs: 250, description: () => `processor idle (in flight ${inFlight})` }
  )
}
