import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect } from "effect"
import { CLUSTER_ID, log4j2Properties, serverProperties, type Voter } from "./brokerConfig.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import type { ResolvedJars } from "./resolveJars.ts"
import { runCommand } from "./runCommand.ts"

export interface BrokerFiles {
  readonly dir: string
  readonly dataDir: string
  readonly serverProperties: string
  readonly log4j2Properties: string
  readonly logFile: string
  readonly port: number
  readonly controllerPort: number
}

/**
 * Writes server.properties and log4j2.properties for a broker living in `dir` (its data in
 * `dir/data` unless given). A node of a cluster names its id and the cluster's voters.
 */
export const writeBrokerFiles = Effect.fnUntraced(function* (input: {
  readonly dir: string
  readonly port: number
  readonly controllerPort: number
  readonly dataDir?: string
  readonly nodeId?: number
  readonly voters?: ReadonlyArray<Voter>
}): Effect.fn.Return<BrokerFiles, LocalKafkaError> {
  const files: BrokerFiles = {
    dir: input.dir,
    dataDir: input.dataDir ?? join(input.dir, "data"),
    serverProperties: join(input.dir, "server.properties"),
    log4j2Properties: join(input.dir, "log4j2.properties"),
    logFile: join(input.dir, "broker.log"),
    port: input.port,
    controllerPort: input.controllerPort
  }
  yield* Effect.tryPromise({
    try: async () => {
      await mkdir(files.dir, { recursive: true })
      await mkdir(files.dataDir, { recursive: true })
      await writeFile(files.serverProperties, serverProperties({ ...input, dataDir: files.dataDir }))
      await writeFile(files.log4j2Properties, log4j2Properties)
    },
    catch: (cause) =>
      new LocalKafkaError({ reason: "io", message: `cannot write broker files in ${input.dir}: ${cause}` })
  })
  return files
})

/**
 * `StorageTool format -g` writes meta.properties and the bootstrap metadata; `-g` makes it a
 * no-op on an already formatted data dir, so the persistent dev broker can call it every start.
 */
export const formatStorage = Effect.fnUntraced(function* (
  java: string,
  jars: ResolvedJars,
  files: BrokerFiles
): Effect.fn.Return<void, LocalKafkaError> {
  const result = yield* runCommand(java, [
    "-Xmx256m",
    "-XX:TieredStopAtLevel=1",
    `-Dlog4j2.configurationFile=${files.log4j2Properties}`,
    "-cp",
    jars.classpath,
    "kafka.tools.StorageTool",
    "format",
    "-t",
    CLUSTER_ID,
    "-c",
    files.serverProperties,
    "-g"
  ]).pipe(
    Effect.mapError(
      (cause) => new LocalKafkaError({ reason: "tool_missing", message: `cannot run ${java}: ${cause.message}` })
    )
  )
  if (result.exitCode !== 0) {
    const hint = result.output.includes("UnsupportedClassVersionError")
      ? ` (Kafka 4 needs Java 17 or newer; ${java} is older: set JAVA_HOME)`
      : ""
    const tail = result.output.trimEnd().split("\n").slice(-40).join("\n")
    return yield* new LocalKafkaError({
      reason: "format_failed",
      message: `kafka.tools.StorageTool format exited with ${result.exitCode ?? result.signal}${hint}:\n${tail}`
    })
  }
})
