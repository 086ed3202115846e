/**
 * The local broker module itself (src/kafka/local/): jar cache, scoped lifecycle, failure
 * reporting, and that a broker never outlives its owner. Starting brokers of its own is the
 * point here, so with KAFKA_BROKERS set ("start nothing") the suite that needs Java is skipped,
 * visibly, and only the external-cluster tests run.
 */
import { spawn } from "node:child_process"
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { createInterface } from "node:readline"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { isAlive } from "../../../src/kafka/local/BrokerProcess.ts"
import { freePort } from "../../../src/kafka/local/freePort.ts"
import { KAFKA_VERSION } from "../../../src/kafka/local/KafkaVersion.ts"
import { LocalKafka } from "../../../src/kafka/local/LocalKafka.ts"
import { LocalKafkaError } from "../../../src/kafka/local/LocalKafkaError.ts"
import { resolveJars } from "../../../src/kafka/local/resolveJars.ts"
import { startLocalKafka } from "../../../src/kafka/local/startLocalKafka.ts"
import { kafkaBrokers } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"

const describeCluster = async (brokers: string) => {
  const admin = new Kafka({ clientId: "local-kafka-test", brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  try {
    return await admin.describeCluster()
  } finally {
    await admin.disconnect()
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false
  )

describe("an external cluster (KAFKA_BROKERS or options.brokers)", () => {
  it.live("is used as is: nothing is started", () =>
    Effect.gen(function* () {
      const kafka = yield* LocalKafka.start({ brokers: kafkaBrokers() })
      expect(kafka).toMatchObject({ brokers: kafkaBrokers(), external: true, pid: undefined, logFile: undefined })
    })
  )

  it("that does not answer fails with not_ready instead of hanging", async () => {
    const closedPort = await Effect.runPromise(freePort)
    const started = Date.now()
    const failure = await startLocalKafka({ brokers: `127.0.0.1:${closedPort}`, readyTimeoutMs: 1500 }).then(
      () => undefined,
      (error: unknown) => error
    )
    expect(failure).toBeInstanceOf(LocalKafkaError)
    expect(failure).toMatchObject({ reason: "not_ready" })
    expect(Date.now() - started).toBeLessThan(10_000)
  })
})

describe.skipIf(process.env["KAFKA_BROKERS"])("a local broker", () => {
  it("resolves its jars once; later calls are cached and start no Maven", async () => {
    const jars = await Effect.runPromise(resolveJars())
    expect(jars.cached).toBe(true)
    expect(jars.version).toBe(KAFKA_VERSION)
    expect(jars.jars).toContain(`kafka_2.13-${KAFKA_VERSION}.jar`)
    expect(jars.jars).toContain(`kafka-tools-${KAFKA_VERSION}.jar`)
    // The SLF4J 2 binding only works with the 2.x API; kafka-clients alone would bring 1.7.
    expect(jars.jars.filter((jar) => jar.startsWith("slf4j-api-"))).toEqual([expect.stringMatching(/^slf4j-api-2\./)])
    expect(jars.jars.some((jar) => jar.startsWith("connect-runtime"))).toBe(false)
  })

  it.live("lives as long as its scope: closing it stops the JVM and deletes the data", () =>
    Effect.gen(function* () {
      const kafka = yield* Effect.scoped(
        Effect.gen(function* () {
          const kafka = yield* LocalKafka.start()
          expect(kafka.external).toBe(false)
          const cluster = yield* Effect.promise(() => describeCluster(kafka.brokers))
          expect(cluster.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: "127.0.0.1" })])
          expect(kafka.pid !== undefined && isAlive(kafka.pid)).toBe(true)
          return kafka
        })
      )
      expect(kafka.pid !== undefined && isAlive(kafka.pid)).toBe(false)
      const runDir = dirname(kafka.logFile ?? "")
      expect(yield* Effect.promise(() => exists(join(runDir, "data")))).toBe(false)
      // The log4j binding works: the broker wrote its lifecycle, shutdown included.
      const log = yield* Effect.promise(() => readFile(kafka.logFile ?? "", "utf8"))
      expect(log).toContain("Kafka Server started")
      expect(log).toContain("[BrokerServer id=1] shut down completed")
    })
  )

  it("fails fast with the broker log tail when the JVM exits during start", async () => {
    // A stand-in for java: formats fine, then dies as a broker with a bad config would.
    const dir = await mkdtemp(join(tmpdir(), "fake-java-"))
    const java = join(dir, "java")
    await writeFile(
      java,
      '#!/bin/sh\ncase "$*" in *StorageTool*) exit 0;; esac\necho "ERROR simulated fatal broker error"\nexit 3\n'
    )
    await chmod(java, 0o755)
    const started = Date.now()
    const failure = await startLocalKafka({ java, readyTimeoutMs: 30_000 }).then(
      () => undefined,
      (error: unknown) => error
    )
    await rm(dir, { recursive: true, force: true })
    expect(failure).toBeInstanceOf(LocalKafkaError)
    expect(failure).toMatchObject({ reason: "broker_exited" })
    expect((failure as LocalKafkaError).message).toContain("exited with 3")
    expect((failure as LocalKafkaError).message).toContain("ERROR simulated fatal broker error")
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it("dies with its owner, even when the owner is SIGKILLed", async () => {
    const owner = spawn(process.execPath, [join(import.meta.dirname, "../../support/fixtures/brokerOwner.ts")], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: owner.stdout }).once("line", resolve)
      owner.once("exit", (code) => reject(new Error(`broker owner exited with ${code} before reporting`)))
    })
    const { pid, logFile } = JSON.parse(line) as { pid: number; logFile: string }
    expect(isAlive(pid)).toBe(true)

    owner.kill("SIGKILL")
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, description: `broker JVM ${pid} to die with its owner` })
    // Nobody stopped it cleanly, so its data is still there until the next start sweeps it.
    await rm(join(dirname(logFile), "data"), { recursive: true, force: true })
  })
})
