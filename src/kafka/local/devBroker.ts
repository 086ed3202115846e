import { readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { awaitBroker } from "./awaitBroker.ts"
import { awaitRunning } from "./awaitRunning.ts"
import { commandLine, isAlive, spawnBroker, terminate } from "./BrokerProcess.ts"
import { type BrokerProfile, jvmFlags } from "./brokerConfig.ts"
import { formatStorage, writeBrokerFiles } from "./brokerFiles.ts"
import { isPortOpen } from "./freePort.ts"
import { defaultKafkaHome, kafkaPaths } from "./KafkaPaths.ts"
import { KAFKA_VERSION } from "./KafkaVersion.ts"
import { javaOrFail, twoFreePorts } from "./LocalKafka.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { resolveJars } from "./resolveJars.ts"

/**
 * The persistent broker of `npm run kafka:start`: data in `.kafka/dev/data` survives restarts,
 * the JVM runs detached until `npm run kafka:stop`, and `.kafka/dev/broker.json` remembers its
 * pid and ports (reused on restart so KAFKA_BROKERS stays valid).
 */
const DevState = Schema.Struct({
  pid: Schema.Int,
  port: Schema.Int,
  controllerPort: Schema.Int,
  version: Schema.String,
  logFile: Schema.String
})
type DevState = typeof DevState.Type
const decodeState = Schema.decodeUnknownOption(Schema.fromJsonString(DevState))

export interface DevBrokerOptions {
  readonly home?: string
  readonly version?: string
  readonly profile?: BrokerProfile
  readonly readyTimeoutMs?: number
  readonly stopGraceMs?: number
}

export interface DevBroker {
  readonly brokers: string
  readonly pid: number
  readonly logFile: string
  readonly alreadyRunning: boolean
}

const devPaths = (options: DevBrokerOptions) => {
  const paths = kafkaPaths(options.home ?? defaultKafkaHome, options.version ?? KAFKA_VERSION)
  return { ...paths, stateFile: join(paths.devDir, "broker.json") }
}

const readState = (stateFile: string): Effect.Effect<DevState | undefined> =>
  Effect.promise(() => readFile(stateFile, "utf8").catch(() => "")).pipe(
    Effect.map((text) => {
      const state = decodeState(text)
      return state._tag === "Some" ? state.value : undefined
    })
  )

/** Our broker, not some other process that inherited the pid after a reboot. */
const isOurBroker = (state: DevState, devDir: string) =>
  isAlive(state.pid) && commandLine(state.pid).includes(join(devDir, "server.properties"))

const reusablePorts = (state: DevState | undefined) =>
  Effect.gen(function* () {
    if (state !== undefined) {
      const taken = yield* Effect.promise(() =>
        Promise.all([isPortOpen("127.0.0.1", state.port), isPortOpen("127.0.0.1", state.controllerPort)])
      )
      if (!taken.some(Boolean)) return [state.port, state.controllerPort] as const
    }
    return yield* twoFreePorts
  })

export const startDevBroker = Effect.fnUntraced(function* (
  options: DevBrokerOptions = {}
): Effect.fn.Return<DevBroker, LocalKafkaError> {
  const paths = devPaths(options)
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000
  const previous = yield* readState(paths.stateFile)
  if (previous !== undefined && isOurBroker(previous, paths.devDir)) {
    const brokers = `127.0.0.1:${previous.port}`
    yield* awaitBroker(brokers, readyTimeoutMs)
    return { brokers, pid: previous.pid, logFile: previous.logFile, alreadyRunning: true }
  }

  const java = yield* javaOrFail()
  const version = options.version ?? KAFKA_VERSION
  const jars = yield* resolveJars({ home: paths.home, version })
  const [port, controllerPort] = yield* reusablePorts(previous)
  const files = yield* writeBrokerFiles({ dir: paths.devDir, port, controllerPort })
  yield* formatStorage(java, jars, files)
  const broker = yield* spawnBroker({
    java,
    classpath: jars.classpath,
    jvmFlags: jvmFlags(options.profile ?? "test"),
    files,
    ownership: "detached"
  })
  const state: DevState = { pid: broker.pid, port, controllerPort, version, logFile: files.logFile }
  yield* Effect.tryPromise({
    try: () => writeFile(paths.stateFile, `${JSON.stringify(state, null, 2)}\n`),
    catch: (cause) => new LocalKafkaError({ reason: "io", message: `cannot write ${paths.stateFile}: ${cause}` })
  })
  yield* awaitRunning(broker, files, readyTimeoutMs).pipe(
    // A dev broker that never became ready is of no use to anyone: do not leave it behind.
    Effect.onError(() => terminate(broker.pid, 5_000))
  )
  return { brokers: `127.0.0.1:${port}`, pid: broker.pid, logFile: files.logFile, alreadyRunning: false }
})

export const stopDevBroker = Effect.fnUntraced(function* (options: DevBrokerOptions = {}) {
  const paths = devPaths(options)
  const state = yield* readState(paths.stateFile)
  const result =
    state !== undefined && isOurBroker(state, paths.devDir)
      ? yield* terminate(state.pid, options.stopGraceMs ?? 20_000)
      : ("not_running" as const)
  // broker.json stays: its ports are reused by the next start, and a dead pid reads as stopped.
  return result
})

export const devBrokerStatus = Effect.fnUntraced(function* (options: DevBrokerOptions = {}) {
  const paths = devPaths(options)
  const state = yield* readState(paths.stateFile)
  return state !== undefined && isOurBroker(state, paths.devDir)
    ? { running: true as const, brokers: `127.0.0.1:${state.port}`, pid: state.pid, logFile: state.logFile }
    : { running: false as const }
})
