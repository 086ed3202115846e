/**
 * The local launcher's cluster mode (`LocalKafka.start({ nodes: 3 })`, `npm run kafka:start --
 * --nodes 3`): three KRaft nodes from the same jars, replicated as production runs Kafka, that
 * keep serving acks=all writes with one node killed, take it back, and leave no JVM and no data
 * behind. Starts a cluster of its own, so it is skipped (visibly) with KAFKA_BROKERS set.
 */
import { stat } from "node:fs/promises"
import { dirname, join } from "node:path"
import { type Admin, ConfigResourceTypes, Kafka, logLevel, Partitioners } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isAlive } from "../../../src/kafka/local/BrokerProcess.ts"
import { type LocalKafkaHandle, startLocalKafka } from "../../../src/kafka/local/startLocalKafka.ts"
import { uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"

let cluster: LocalKafkaHandle
let kafka: Kafka
let admin: Admin

const partitionsOf = async (topic: string) =>
  (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? []

describe.skipIf(process.env["KAFKA_BROKERS"])("a local three-node cluster", () => {
  beforeAll(async () => {
    cluster = await startLocalKafka({ nodes: 3, brokers: "" })
    kafka = new Kafka({
      clientId: "local-cluster-test",
      brokers: cluster.brokers.split(","),
      logLevel: logLevel.NOTHING
    })
    admin = kafka.admin()
    await admin.connect()
  }, 120_000)

  afterAll(async () => {
    await admin?.disconnect()
    await cluster?.stop()
  })

  it("runs three brokers, each a node of its own with its own port, log and data", async () => {
    const described = await admin.describeCluster()
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([1, 2, 3])
    expect(cluster.nodes.map((n) => n.address)).toEqual(cluster.brokers.split(","))
    expect(new Set(cluster.nodes.map((n) => n.logFile)).size).toBe(3)
    for (const node of cluster.nodes) expect(isAlive(node.pid() ?? -1)).toBe(true)
  })

  it("replicates topics three ways with min.insync.replicas=2, internal topics included", async () => {
    const topic = uniqueName("rf3")
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
    for (const p of await partitionsOf(topic)) expect(p.replicas).toHaveLength(3)
    const configs = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ["min.insync.replicas"] }],
      includeSynonyms: false
    })
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe("2")

    // a group and a transaction make the broker create its internal topics
    const producer = kafka.producer({
      transactionalId: uniqueName("txn"),
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner
    })
    await producer.connect()
    const txn = await producer.transaction()
    await txn.send({ topic, messages: [{ value: "x" }] })
    await txn.commit()
    await producer.disconnect()
    const consumer = kafka.consumer({ groupId: uniqueName("group"), sessionTimeout: 6_000, maxWaitTimeInMs: 250 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    let seen = 0
    await consumer.run({
      eachMessage: async () => {
        seen++
      }
    })
    await waitFor(() => seen === 1, { description: "the record consumed by a group" })
    await consumer.disconnect()
    for (const internal of ["__consumer_offsets", "__transaction_state"]) {
      const partitions = await partitionsOf(internal)
      expect(partitions.length, internal).toBeGreaterThan(0)
      for (const p of partitions) expect(p.replicas, internal).toHaveLength(3)
    }
  })

  it("keeps taking acks=all writes with a node SIGKILLed, and takes the node back in sync", async () => {
    const topic = uniqueName("failover")
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })
    const victim = cluster.nodes[1]
    if (victim === undefined) throw new Error("no node 2")
    const pid = victim.pid()
    await victim.stop("SIGKILL")
    expect(isAlive(pid ?? -1)).toBe(false)
    expect(victim.pid()).toBeUndefined()

    // the leaders on node 2 move only once its broker session lapses (broker.session.timeout.ms,
    // 9 s): the producer retries across that window, as hookstream's own producers do
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { retries: 20, initialRetryTime: 300, maxRetryTime: 3_000 }
    })
    await producer.connect()
    const written = await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: String(i) }))
    })
    await producer.disconnect()
    expect(written.map((w) => w.errorCode)).toEqual(written.map(() => 0))
    // fenced once its session lapsed: no partition names it in-sync any more
    await waitFor(async () => (await partitionsOf(topic)).every((p) => !p.isr.includes(victim.id)), {
      timeoutMs: 30_000,
      description: "node 2 out of every ISR"
    })

    const restarted = await victim.start()
    expect(isAlive(restarted)).toBe(true)
    await waitFor(async () => (await partitionsOf(topic)).every((p) => p.isr.length === 3), {
      timeoutMs: 60_000,
      description: "node 2 back in every ISR"
    })
  }, 120_000)

  it("stops every node and deletes the cluster's data", async () => {
    // a node that is down has no pid (and isAlive(-1) would ask about every process)
    const pids = cluster.nodes.flatMap((n) => {
      const pid = n.pid()
      return pid === undefined ? [] : [pid]
    })
    expect(pids.length).toBeGreaterThan(0)
    const runDir = dirname(dirname(cluster.logFile ?? ""))
    await admin.disconnect()
    await cluster.stop()
    for (const pid of pids) expect(isAlive(pid)).toBe(false)
    expect(
      await stat(join(runDir, "data")).then(
        () => true,
        () => false
      )
    ).toBe(false)
  }, 60_000)
})
