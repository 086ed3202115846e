/**
 * The persistent local cluster of `npm run kafka:start -- --nodes <n>` (n ≥ 2): the dev broker's
 * counterpart with n KRaft nodes in `.kafka/dev-cluster/` (`node-<i>/` for each node's files,
 * `data/node-<i>` for its data), detached until `npm run kafka:stop`. `cluster.json` remembers
 * the pids and ports, reused on restart so KAFKA_BROKERS stays valid. The node count is fixed
 * when the data is first formatted: another count needs `rm -r .kafka/dev-cluster` first.
 */
import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { awaitBroker } from "./awaitBroker.ts"
import { awaitRunning } from "./awaitRunning.ts"
import { commandLine, isAlive, spawnBroker, terminate } from "./BrokerProcess.ts"
import { jvmFlags } from "./brokerConfig.ts"
import type { DevBrokerOptions } from "./devBroker.ts"
import { isPortOpen } from "./freePort.ts"
import { bootstrapOf, freeNodePorts, type NodePorts, prepareNodes } from "./KafkaNodes.ts"
import { defaultKafkaHome } from "./KafkaPaths.ts"
import { KAFKA_VERSION } from "./KafkaVersion.ts"
import { javaOrFail } from "./LocalKafka.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { resolveJars } from "./resolveJars.ts"

const NodeState = Schema.Struct({
  id: Schema.Int,
  pid: Schema.Int,
  port: Schema.Int,
  controllerPort: Schema.Int,
  logFile: Schema.String
})
const ClusterState = Schema.Struct({ version: Schema.String, nodes: Schema.Array(NodeState) })
type ClusterState = typeof ClusterState.Type
const decodeState = Schema.decodeUnknownOption(Schema.fromJsonString(ClusterState))

export interface DevCluster {
  readonly brokers: string
  readonly pids: ReadonlyArray<number>
  readonly dir: string
  readonly alreadyRunning: boolean
}

const clusterPaths = (options: DevBrokerOptions) => {
  const dir = join(options.home ?? defaultKafkaHome, "dev-cluster")
  return { dir, stateFile: join(dir, "cluster.json") }
}

const readState = (stateFile: string): Effect.Effect<ClusterState | undefined> =>
  Effect.promise(() => readFile(stateFile, "utf8").catch(() => "")).pipe(
    Effect.map((text) => {
      const state = decodeState(text)
      return state._tag === "Some" ? state.value : undefined
    })
  )

/** Our node's JVM, not some other process that inherited the pid after a reboot. */
const isOurNode = (node: ClusterState["nodes"][number], dir: string) =>
  isAlive(node.pid) && commandLine(node.pid).includes(join(dir, `node-${node.id}`, "server.properties"))

/** The recorded ports when none is taken by someone else, else fresh ones. */
const portsFor = (state: ClusterState | undefined, nodes: number) =>
  Effect.gen(function* () {
    if (state !== undefined) {
      const ports: ReadonlyArray<NodePorts> = state.nodes
      const taken = yield* Effect.promise(() =>
        Promise.all(ports.flatMap((p) => [isPortOpen("127.0.0.1", p.port), isPortOpen("127.0.0.1", p.controllerPort)]))
      )
      if (!taken.some(Boolean)) return ports
    }
    return yield* freeNodePorts(nodes)
  })

export const startDevCluster = Effect.fnUntraced(function* (
  nodes: number,
  options: DevBrokerOptions = {}
): Effect.fn.Return<DevCluster, LocalKafkaError> {
  const { dir, stateFile } = clusterPaths(options)
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000
  const previous = yield* readState(stateFile)
  if (previous !== undefined && previous.nodes.length !== nodes) {
    return yield* new LocalKafkaError({
      reason: "io",
      message: `the dev cluster in ${dir} has ${previous.nodes.length} nodes, not ${nodes}: stop it (npm run kafka:stop) and remove ${dir} to change its size`
    })
  }
  const alive = new Map((previous?.nodes ?? []).filter((n) => isOurNode(n, dir)).map((n) => [n.id, n]))
  if (previous !== undefined && alive.size === previous.nodes.length) {
    yield* awaitBroker(bootstrapOf(previous.nodes), readyTimeoutMs, nodes)
    return { brokers: bootstrapOf(previous.nodes), pids: previous.nodes.map((n) => n.pid), dir, alreadyRunning: true }
  }

  const java = yield* javaOrFail()
  const version = options.version ?? KAFKA_VERSION
  const jars = yield* resolveJars({ home: options.home ?? defaultKafkaHome, version })
  // nodes that died (or were killed in a drill) come back on their ports, next to those still running
  const ports = alive.size > 0 && previous !== undefined ? previous.nodes : yield* portsFor(previous, nodes)
  const prepared = yield* prepareNodes(java, jars, dir, ports, (id) => !alive.has(id))
  const spawned = yield* Effect.forEach(prepared, ({ id, files }) =>
    spawnBroker({
      java,
      classpath: jars.classpath,
      jvmFlags: jvmFlags(options.profile ?? "test"),
      files,
      ownership: "detached"
    }).pipe(Effect.map((broker) => ({ id, files, broker })))
  )
  const state: ClusterState = {
    version,
    nodes: ports.map((p, i) => {
      const restarted = spawned.find((s) => s.id === i + 1)
      const running = alive.get(i + 1)
      return {
        id: i + 1,
        pid: restarted?.broker.pid ?? running?.pid ?? 0,
        port: p.port,
        controllerPort: p.controllerPort,
        logFile: restarted?.files.logFile ?? running?.logFile ?? ""
      }
    })
  }
  yield* Effect.tryPromise({
    try: () => writeFile(stateFile, `${JSON.stringify(state, null, 2)}\n`),
    catch: (cause) => new LocalKafkaError({ reason: "io", message: `cannot write ${stateFile}: ${cause}` })
  })
  const brokers = bootstrapOf(ports)
  yield* Effect.forEach(spawned, ({ broker, files }) => awaitRunning(broker, files, readyTimeoutMs), {
    concurrency: "unbounded",
    discard: true
  }).pipe(
    Effect.andThen(awaitBroker(brokers, readyTimeoutMs, nodes)),
    // nodes that never became ready are of no use to anyone: do not leave them behind
    Effect.onError(() =>
      Effect.forEach(spawned, ({ broker }) => terminate(broker.pid, 5_000), { concurrency: "unbounded" })
    )
  )
  return { brokers, pids: state.nodes.map((n) => n.pid), dir, alreadyRunning: false }
})

/** Stops every node at once (one by one, the last loses its quorum and hangs); data and ports are kept. */
export const stopDevCluster = Effect.fnUntraced(function* (options: DevBrokerOptions = {}) {
  const { dir, stateFile } = clusterPaths(options)
  const state = yield* readState(stateFile)
  const running = state?.nodes.filter((n) => isOurNode(n, dir)) ?? []
  if (running.length === 0) return "not_running" as const
  const results = yield* Effect.forEach(running, (n) => terminate(n.pid, options.stopGraceMs ?? 20_000), {
    concurrency: "unbounded"
  })
  return results.includes("killed") ? ("killed" as const) : ("stopped" as const)
})

export const devClusterStatus = Effect.fnUntraced(function* (options: DevBrokerOptions = {}) {
  const { dir, stateFile } = clusterPaths(options)
  const state = yield* readState(stateFile)
  const running = state?.nodes.filter((n) => isOurNode(n, dir)) ?? []
  return state === undefined || running.length === 0
    ? { running: false as const }
    : {
        running: true as const,
        brokers: bootstrapOf(state.nodes),
        nodes: state.nodes.length,
        up: running.map((n) => n.id),
        dir
      }
})
