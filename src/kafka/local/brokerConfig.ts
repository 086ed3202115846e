/**
 * The KRaft nodes we run locally (one, or a cluster of several on one machine), as files.
 * Values follow the Kafka quickstart except where one node needs otherwise (see the comments).
 */

/** `test`: small and quick to start. `bench`: the distribution's defaults, for numbers worth quoting. */
export type BrokerProfile = "test" | "bench"

/** Any 22-character base64url id works; a fixed one keeps logs comparable between runs. */
export const CLUSTER_ID = "4L6g3nShT-eMCtK--X86sw"

export const jvmFlags = (profile: BrokerProfile): ReadonlyArray<string> =>
  profile === "bench"
    ? // What bin/kafka-server-start.sh and kafka-run-class.sh use.
      [
        "-Xmx1G",
        "-Xms1G",
        "-server",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:InitiatingHeapOccupancyPercent=35",
        "-XX:+ExplicitGCInvokesConcurrent",
        "-XX:MaxInlineLevel=15",
        "-Djava.awt.headless=true"
      ]
    : // C1 only and a small serial heap: a test broker starts in ~2 s and leaves room for two
      // vitest workers on a 2-core machine. Never benchmark with these.
      [
        "-Xms128m",
        "-Xmx512m",
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true"
      ]

/** A controller quorum voter: its node id and controller port (on 127.0.0.1). */
export interface Voter {
  readonly id: number
  readonly controllerPort: number
}

export interface ServerPropertiesInput {
  readonly port: number
  readonly controllerPort: number
  readonly dataDir: string
  /** this node's id; default 1 */
  readonly nodeId?: number
  /** every node of the cluster (each is broker and controller); default this node alone */
  readonly voters?: ReadonlyArray<Voter>
}

/**
 * Replication for `nodes` nodes: one node must keep everything at 1 (see below); three or more
 * get what a production cluster runs, replication factor 3 with min.insync.replicas=2, so an
 * acks=all write survives one node going away and is refused when two are gone.
 */
export const replicationFor = (nodes: number) => ({
  factor: Math.min(3, nodes),
  minInsync: nodes >= 3 ? 2 : 1
})

export const serverProperties = (input: ServerPropertiesInput): string => {
  const { port, controllerPort, dataDir } = input
  const nodeId = input.nodeId ?? 1
  const voters = input.voters ?? [{ id: nodeId, controllerPort }]
  const { factor, minInsync } = replicationFor(voters.length)
  // one partition per node for the coordinators' topics, so group and transaction coordinators spread
  const coordinatorPartitions = voters.length
  return `${[
    "process.roles=broker,controller",
    `node.id=${nodeId}`,
    `controller.quorum.voters=${voters.map((v) => `${v.id}@127.0.0.1:${v.controllerPort}`).join(",")}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    `log.dirs=${dataDir}`,
    "num.partitions=1",
    `default.replication.factor=${factor}`,
    `min.insync.replicas=${minInsync}`,
    // With one broker, any replication factor above 1 for the internal topics leaves consumers
    // looping on "group coordinator not available" and transactions unable to start.
    `offsets.topic.replication.factor=${factor}`,
    `offsets.topic.num.partitions=${coordinatorPartitions}`,
    `transaction.state.log.replication.factor=${factor}`,
    `transaction.state.log.min.isr=${minInsync}`,
    `transaction.state.log.num.partitions=${coordinatorPartitions}`,
    `share.coordinator.state.topic.replication.factor=${factor}`,
    `share.coordinator.state.topic.min.isr=${minInsync}`,
    // Tests join groups constantly; the default 3 s delay would be paid by every one of them.
    "group.initial.rebalance.delay.ms=0",
    // Topics are created explicitly (admin createTopics), as in production.
    "auto.create.topics.enable=false",
    "num.network.threads=2",
    "num.io.threads=2",
    // The default 128 MiB buffer would be a quarter of the test heap.
    "log.cleaner.dedupe.buffer.size=16777216"
  ].join("\n")}\n`
}

/**
 * Log4j2 writes to stdout, which the parent points at the broker log file, so JVM crashes and
 * log lines land in the same place. Per-request and state-change chatter is kept out.
 */
export const log4j2Properties = `status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.stateChange.name = state.change.logger
logger.stateChange.level = warn
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
`
