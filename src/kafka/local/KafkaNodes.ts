/**
 * The nodes of a local Kafka: one, or a cluster of several on this machine, each a broker and
 * a controller, the static quorum naming every one. Shared by throw-away runs (LocalKafka)
 * and the persistent dev brokers (`npm run kafka:start [-- --nodes 3]`).
 */
import { join } from "node:path"
import { Effect } from "effect"
import { type BrokerFiles, formatStorage, writeBrokerFiles } from "./brokerFiles.ts"
import { freePort } from "./freePort.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import type { ResolvedJars } from "./resolveJars.ts"

/** A node's two loopback ports: clients, and the controller quorum. */
export interface NodePorts {
  readonly port: number
  readonly controllerPort: number
}

/**
 * `count` pairs of free loopback ports, all distinct: sockets closed in turn can be handed
 * the same port, so ask again in that rare case.
 */
export const freeNodePorts = (count: number): Effect.Effect<ReadonlyArray<NodePorts>, LocalKafkaError> =>
  Effect.all(Array.from({ length: 2 * count }, () => freePort)).pipe(
    Effect.mapError(
      (cause) => new LocalKafkaError({ reason: "io", message: `cannot find free loopback ports: ${String(cause)}` })
    ),
    Effect.repeat({ until: (ports) => new Set(ports).size === ports.length }),
    Effect.map((ports) =>
      Array.from({ length: count }, (_, i) => ({
        port: ports[2 * i] as number,
        controllerPort: ports[2 * i + 1] as number
      }))
    )
  )

export interface PreparedNode {
  readonly id: number
  readonly files: BrokerFiles
}

/**
 * Writes the nodes' files and formats their storage (a no-op on formatted data), for every
 * node or those `select`ed (a dev cluster restarting the nodes that died). A single node lives
 * in `dir` itself (its data in `dir/data`), as it always has; node `i` of a cluster in
 * `dir/node-<i>`, its data in `dir/data/node-<i>`, so one `dir/data` holds the cluster's data.
 */
export const prepareNodes = Effect.fnUntraced(function* (
  java: string,
  jars: ResolvedJars,
  dir: string,
  ports: ReadonlyArray<NodePorts>,
  select: (id: number) => boolean = () => true
): Effect.fn.Return<ReadonlyArray<PreparedNode>, LocalKafkaError> {
  const voters = ports.map((p, i) => ({ id: i + 1, controllerPort: p.controllerPort }))
  const layout = (p: NodePorts, id: number) =>
    ports.length === 1
      ? { dir, ...p }
      : { dir: join(dir, `node-${id}`), dataDir: join(dir, "data", `node-${id}`), ...p, nodeId: id, voters }
  const chosen = ports.flatMap((p, i) => (select(i + 1) ? [{ id: i + 1, p }] : []))
  return yield* Effect.forEach(
    chosen,
    ({ id, p }) =>
      writeBrokerFiles(layout(p, id)).pipe(
        Effect.tap((files) => formatStorage(java, jars, files)),
        Effect.map((files) => ({ id, files }))
      ),
    // two JVMs at once at most: formatting is a JVM start each, on a small machine
    { concurrency: 2 }
  )
})

/** `127.0.0.1:<port>,…`: every node's client address, the bootstrap list. */
export const bootstrapOf = (nodes: ReadonlyArray<NodePorts>): string =>
  nodes.map((n) => `127.0.0.1:${n.port}`).join(",")
