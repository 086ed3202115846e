/**
 * KafkaJS's producer alone through a leader's SIGKILL, no hookstream code involved:
 * `node chaos/producerFailover.ts [idempotent|transactional]` (about 45 s). On a three-node
 * cluster (RF 3, min.insync.replicas=2) one producer sends batches of 20 records over 6
 * partitions, acks=all (in a transaction each, when transactional); 3 s in, the node leading
 * the most partitions is SIGKILLed; 20 s later the producer stops and a read_committed
 * reader counts, against every record the producer said was acknowledged: missing ones,
 * and ones on the topic twice. Exit 1 when either is not 0.
 *
 * Why it exists: the cluster chaos scenarios lost outcome records and saw duplicates under
 * exactly-once, and this shows the client does it by itself (docs/reliability.md). A
 * replacement producer client should pass it.
 */
import { Effect } from "effect"
import { Kafka, logLevel, Partitioners } from "kafkajs"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"
import { readCommitted } from "../src/kafka/TopicReader.ts"
import { busiestLeader } from "./harness/cluster.ts"

const mode = process.argv[2] === "transactional" ? "transactional" : "idempotent"
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cluster = await startLocalKafka({ brokers: "", nodes: 3 })
try {
  const kafka = new Kafka({
    clientId: "producer-failover",
    brokers: cluster.brokers.split(","),
    logLevel: logLevel.NOTHING
  })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: "failover", numPartitions: 6 }], waitForLeaders: true })
  await admin.disconnect()
  const producer = kafka.producer({
    ...(mode === "transactional" ? { transactionalId: "producer-failover" } : {}),
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 5, maxRetryTime: 2_000 },
    createPartitioner: Partitioners.DefaultPartitioner
  })
  await producer.connect()
  const acked: Array<string> = []
  let next = 0
  let running = true
  let failures = 0
  const load = (async () => {
    while (running) {
      const messages = Array.from({ length: 20 }, () => ({ key: `k${next % 31}`, value: `r${next++}` }))
      try {
        if (mode === "transactional") {
          const txn = await producer.transaction()
          await txn.send({ topic: "failover", acks: -1, messages })
          await txn.commit()
        } else {
          await producer.send({ topic: "failover", acks: -1, messages })
        }
        for (const m of messages) acked.push(m.value)
      } catch {
        failures++
        await sleep(500)
      }
    }
  })()
  await sleep(3_000)
  const victim = await busiestLeader(kafka, ["failover"])
  process.stdout.write(`SIGKILL node ${victim} after ${acked.length} acknowledged records\n`)
  await cluster.nodes.find((n) => n.id === victim)?.stop("SIGKILL")
  await sleep(20_000)
  running = false
  await load
  await producer.disconnect().catch(() => undefined)

  const copies = new Map<string, number>()
  for (const r of await Effect.runPromise(readCommitted(kafka, "failover"))) {
    const value = r.value?.toString("utf8") ?? ""
    copies.set(value, (copies.get(value) ?? 0) + 1)
  }
  const missing = acked.filter((v) => !copies.has(v))
  const twice = acked.filter((v) => (copies.get(v) ?? 0) > 1)
  process.stdout.write(
    `KafkaJS ${mode} producer: ${acked.length} records acknowledged (${failures} sends failed), ` +
      `${missing.length} of them not on the topic, ${twice.length} on it more than once` +
      `${missing.length + twice.length > 0 ? ` (e.g. ${[...missing, ...twice].slice(0, 5).join(", ")})` : ""}\n`
  )
  process.exitCode = missing.length + twice.length > 0 ? 1 : 0
} finally {
  await cluster.stop()
}
