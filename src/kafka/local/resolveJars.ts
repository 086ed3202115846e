import { createHash } from "node:crypto"
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schema } from "effect"
import { brokerPom } from "./brokerPom.ts"
import { findExecutable } from "./findExecutable.ts"
import { defaultKafkaHome, kafkaPaths } from "./KafkaPaths.ts"
import { KAFKA_VERSION } from "./KafkaVersion.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { runCommand } from "./runCommand.ts"

export interface ResolvedJars {
  readonly version: string
  readonly jarsDir: string
  /** a `java -cp` value: the jars folder with a wildcard */
  readonly classpath: string
  readonly jars: ReadonlyArray<string>
  /** true when the marker matched and Maven was not run */
  readonly cached: boolean
}

const Marker = Schema.Struct({
  kafkaVersion: Schema.String,
  pomSha256: Schema.String,
  jars: Schema.Array(Schema.String)
})
const decodeMarker = Schema.decodeUnknownOption(Schema.fromJsonString(Marker))

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")

const ioError = (message: string) => (cause: unknown) =>
  new LocalKafkaError({ reason: "io", message: `${message}: ${String(cause)}` })

/** The cache is valid when the marker names this pom and every jar it lists is still there. */
const readCache = Effect.fnUntraced(function* (marker: string, jarsDir: string, pomSha256: string) {
  const text = yield* Effect.promise(() => readFile(marker, "utf8").catch(() => ""))
  const decoded = decodeMarker(text)
  if (decoded._tag === "None" || decoded.value.pomSha256 !== pomSha256) return undefined
  const jars = decoded.value.jars
  const present = yield* Effect.promise(() =>
    Promise.all(
      jars.map((jar) =>
        stat(join(jarsDir, jar)).then(
          () => true,
          () => false
        )
      )
    )
  )
  return present.every(Boolean) && jars.length > 0 ? jars : undefined
})

/**
 * Resolves the broker classpath into `<home>/lib-<version>/jars` with Maven, once. Later calls
 * read the `resolved.json` marker and never start Maven, so they are fast and work offline.
 * Resolution happens in a private temp folder renamed into place, so two processes resolving
 * at once (a test run and `npm run kafka:jars`) cannot see a half-filled folder.
 */
export const resolveJars = Effect.fnUntraced(function* (
  options: { readonly home?: string; readonly version?: string } = {}
): Effect.fn.Return<ResolvedJars, LocalKafkaError> {
  const version = options.version ?? KAFKA_VERSION
  const paths = kafkaPaths(options.home ?? defaultKafkaHome, version)
  const pom = brokerPom(version)
  const pomSha256 = sha256(pom)
  const done = (jars: ReadonlyArray<string>, cached: boolean): ResolvedJars => ({
    version,
    jarsDir: paths.jarsDir,
    classpath: join(paths.jarsDir, "*"),
    jars,
    cached
  })

  const cachedJars = yield* readCache(paths.marker, paths.jarsDir, pomSha256)
  if (cachedJars !== undefined) return done(cachedJars, true)

  const mvn = findExecutable("mvn")
  if (mvn === undefined) {
    return yield* new LocalKafkaError({
      reason: "tool_missing",
      message:
        "mvn not found on PATH: install Maven (Debian: apt-get install maven) to fetch the Kafka broker jars, " +
        "or set KAFKA_BROKERS=host:port to use a running cluster"
    })
  }

  const staging = `${paths.libDir}.${process.pid}.${Date.now()}.tmp`
  const stagingJars = join(staging, "jars")
  yield* Effect.tryPromise({
    try: async () => {
      await mkdir(staging, { recursive: true })
      await writeFile(join(staging, "pom.xml"), pom)
    },
    catch: ioError(`cannot prepare ${staging}`)
  })
  const removeStaging = Effect.promise(() => rm(staging, { recursive: true, force: true }))

  const result = yield* runCommand(mvn, [
    "-B",
    "-q",
    "-f",
    join(staging, "pom.xml"),
    "dependency:copy-dependencies",
    "-DincludeScope=runtime",
    `-DoutputDirectory=${stagingJars}`
  ]).pipe(
    Effect.mapError(
      (cause) => new LocalKafkaError({ reason: "tool_missing", message: `cannot run ${mvn}: ${cause.message}` })
    ),
    Effect.onInterrupt(() => removeStaging)
  )
  if (result.exitCode !== 0) {
    yield* removeStaging
    return yield* new LocalKafkaError({
      reason: "jar_resolution_failed",
      message: `mvn dependency:copy-dependencies for Kafka ${version} exited with ${result.exitCode ?? result.signal}:\n${result.output.trimEnd()}`
    })
  }

  const jars = yield* Effect.tryPromise({
    try: () => readdir(stagingJars).then((names) => names.filter((name) => name.endsWith(".jar")).sort()),
    catch: ioError(`cannot list ${stagingJars}`)
  })
  if (!jars.some((jar) => jar.startsWith(`kafka_2.13-${version}`))) {
    yield* removeStaging
    return yield* new LocalKafkaError({
      reason: "jar_resolution_failed",
      message: `Maven finished but ${stagingJars} has no kafka_2.13-${version} jar`
    })
  }

  // Another process may have finished its own resolution meanwhile (a test run next to
  // `npm run kafka:jars`): keep its folder, whose jars a running broker may have open.
  const theirs = yield* readCache(paths.marker, paths.jarsDir, pomSha256)
  if (theirs !== undefined) {
    yield* removeStaging
    return done(theirs, true)
  }

  const marker = JSON.stringify({ kafkaVersion: version, pomSha256, jars }, null, 2)
  yield* Effect.tryPromise({
    try: async () => {
      await writeFile(join(staging, "resolved.json"), `${marker}\n`)
      // A stale folder (different pom, or deleted jars) is replaced whole: leftovers on a
      // wildcard classpath would shadow the new jars.
      await rm(paths.libDir, { recursive: true, force: true })
      await rename(staging, paths.libDir)
    },
    catch: ioError(`cannot move ${staging} to ${paths.libDir}`)
  }).pipe(
    // Lost the race for the rename by a hair: the winner's copy is as good as ours.
    Effect.catch((error) =>
      readCache(paths.marker, paths.jarsDir, pomSha256).pipe(
        Effect.flatMap((theirs) => (theirs === undefined ? Effect.fail(error) : Effect.void))
      )
    ),
    Effect.ensuring(removeStaging)
  )
  return done(jars, false)
})
