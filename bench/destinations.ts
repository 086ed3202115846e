/**
 * Deliveries per second of the connectionless and local-server destinations, each through its
 * real `make`/`send`: BENCH_N sends one after another, then BENCH_N with 32 in flight.
 *
 *   KAFKA_BROKERS=127.0.0.1:9092 npm run bench:destinations      (writes reports/bench-destinations.json)
 *   BENCH_ONLY=http,file npm run bench:destinations
 *
 * log: through a logger that formats each line (Logger.formatStructured) and drops it, so the
 * number is the destination's cost, not the terminal's. file: a temporary base directory,
 * every write fsync'd (file and directory). http: a node:http server in a child process on
 * 127.0.0.1 answering 200. kafka: a fresh 3-partition topic on KAFKA_BROKERS (skipped without).
 * postgresql, mysql: json mode into a fresh table (pool_size 32) on the machine's PostgreSQL and
 * MariaDB (POSTGRES_URL, MARIADB_URL). redis-list, redis-stream (maxlen ~100000),
 * redis-publish: fresh keys on the machine's Redis (REDIS_URL). rabbitmq: a fresh durable queue,
 * persistent messages, publisher confirms (RABBITMQ_URL). mqtt-qos0/1/2: MQTT 5 on the machine's
 * Mosquitto (MQTT_URL). nats-jetstream: a fresh file-storage stream; nats-core: publish + flush
 * (NATS_URL).
 */
import { fork } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { jetstreamManager } from "@nats-io/jetstream"
import { connect as natsConnect } from "@nats-io/transport-node"
import amqp from "amqplib"
import { Effect, Logger, References, Schema, Scope } from "effect"
import { Redis } from "ioredis"
import { Kafka, logLevel } from "kafkajs"
import mysql from "mysql2/promise"
import pg from "pg"
import { idempotencyKey } from "../src/domain/IdempotencyKey.ts"
import type { Delivery, DestinationSpec } from "../src/modules/Destination.ts"
import { loadDestination } from "../src/modules/registry.ts"
import { serviceAddress } from "../test/support/services.ts"

const fileDestination = await loadDestination("file")
const httpDestination = await loadDestination("http")
const kafkaDestination = await loadDestination("kafka")
const logDestination = await loadDestination("log")
const mqttDestination = await loadDestination("mqtt")
const mysqlDestination = await loadDestination("mysql")
const natsDestination = await loadDestination("nats")
const postgresqlDestination = await loadDestination("postgresql")
const rabbitmqDestination = await loadDestination("rabbitmq")
const redisDestination = await loadDestination("redis")

if (process.argv[2] === "--server") {
  const server = createServer((req, res) => {
    req.resume()
    req.on("end", () => res.writeHead(200).end())
  })
  server.listen(0, "127.0.0.1", () => process.send?.((server.address() as AddressInfo).port))
  process.on("disconnect", () => process.exit(0))
} else {
  const N = Number(process.env.BENCH_N ?? 2_000)
  const only = process.env.BENCH_ONLY?.split(",")

  const silentLogger = Logger.make((options) => {
    Logger.formatStructured.log(options)
  })

  interface Row {
    readonly destination: string
    readonly in_flight: number
    readonly sends: number
    readonly per_second: number
  }

  const measure = async <C, K>(
    name: string,
    spec: DestinationSpec<C, K>,
    rawConnection: unknown,
    rawConfig: unknown
  ): Promise<Array<Row>> => {
    const config = Schema.decodeUnknownSync(spec.config)(rawConfig)
    const connection =
      spec.connection === undefined || rawConnection === undefined
        ? undefined
        : Schema.decodeUnknownSync(spec.connection.schema)(rawConnection)
    let seq = 0
    const delivery = (): Delivery<C> => {
      const eventId = `bench-${process.pid}-${++seq}`
      return {
        eventId,
        webhookId: "bench",
        moduleId: "step",
        idempotencyKey: idempotencyKey("bench", eventId, "step"),
        attempt: 1,
        payload: { order_id: seq, amount: 1234, currency: "EUR", items: [{ sku: "a", qty: 2 }] },
        payloadEncoding: "json",
        headers: { "content-type": "application/json" },
        key: `customer-${seq % 97}`,
        config
      }
    }
    const scope = Effect.runSync(Scope.make())
    const provide = <A, E>(effect: Effect.Effect<A, E>) =>
      effect.pipe(Effect.provideService(References.CurrentLoggers, new Set([silentLogger])))
    try {
      const destination = await Effect.runPromise(provide(spec.make(connection).pipe(Scope.provide(scope))))
      const rows: Array<Row> = []
      for (const inFlight of [1, 32]) {
        // warm-up: connections, topic metadata, JIT
        await Effect.runPromise(
          provide(
            Effect.forEach(Array.from({ length: 50 }), () => destination.send(delivery()), { concurrency: inFlight })
          )
        )
        const t0 = performance.now()
        await Effect.runPromise(
          provide(
            Effect.forEach(Array.from({ length: N }), () => destination.send(delivery()), {
              concurrency: inFlight,
              discard: true
            })
          )
        )
        const seconds = (performance.now() - t0) / 1000
        rows.push({ destination: name, in_flight: inFlight, sends: N, per_second: Math.round(N / seconds) })
      }
      return rows
    } finally {
      await Effect.runPromise(Scope.close(scope, Effect.void as never))
    }
  }

  /**
   * One entry per destination: how to get a real sink for it and what to send. Add yours here;
   * `prepare` returns the raw connection and config, and what to undo afterwards.
   */
  interface BenchCase {
    readonly name: string
    // biome-ignore lint/suspicious/noExplicitAny: each case has its own config and connection types
    readonly spec: DestinationSpec<any, any>
    readonly prepare: () => Promise<
      { readonly connection?: unknown; readonly config: unknown; readonly teardown?: () => Promise<void> } | string
    >
  }

  const cases: ReadonlyArray<BenchCase> = [
    { name: "log", spec: logDestination, prepare: async () => ({ config: {} }) },
    {
      name: "file",
      spec: fileDestination,
      prepare: async () => {
        const base = mkdtempSync(join(process.env.BENCH_FILE_DIR ?? tmpdir(), "hookstream-bench-"))
        process.env.HOOKSTREAM_FILE_DIR = base
        return { config: { directory: "events" }, teardown: async () => rmSync(base, { recursive: true, force: true }) }
      }
    },
    {
      name: "http",
      spec: httpDestination,
      prepare: async () => {
        const child = fork(process.argv[1] ?? "", ["--server"], { execArgv: process.execArgv })
        const port = await new Promise<number>((resolve) => child.once("message", (m) => resolve(Number(m))))
        return {
          config: { url: `http://127.0.0.1:${port}/hook`, allowed_hosts: ["127.0.0.1"] },
          teardown: async () => {
            child.disconnect()
          }
        }
      }
    },
    {
      name: "kafka",
      spec: kafkaDestination,
      prepare: async () => {
        const brokers = process.env.KAFKA_BROKERS
        if (brokers === undefined) return "set KAFKA_BROKERS"
        const topic = `bench-destinations-${Date.now().toString(36)}`
        const admin = new Kafka({ clientId: "bench", brokers: brokers.split(","), logLevel: logLevel.NOTHING }).admin()
        await admin.connect()
        await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })
        return {
          connection: { type: "kafka", brokers },
          config: { topic },
          teardown: async () => {
            await admin.deleteTopics({ topics: [topic] }).catch(() => undefined)
            await admin.disconnect()
          }
        }
      }
    },
    {
      name: "postgresql",
      spec: postgresqlDestination,
      prepare: async () => {
        const server = serviceAddress("postgres")
        const table = `bench_pg_${process.pid}_${Date.now()}`
        const login = { host: server.host, port: server.port, database: server.database, user: server.username }
        return {
          connection: { type: "postgresql", ...login, pool_size: 32 },
          config: { table },
          teardown: async () => {
            const client = new pg.Client(login)
            await client.connect()
            await client.query(`DROP TABLE IF EXISTS "${table}"`)
            await client.end()
          }
        }
      }
    },
    {
      name: "mysql",
      spec: mysqlDestination,
      prepare: async () => {
        const server = serviceAddress("mariadb")
        const table = `bench_my_${process.pid}_${Date.now()}`
        const login = { host: server.host, port: server.port, database: server.database, user: server.username }
        return {
          connection: { type: "mysql", ...login, pool_size: 32 },
          config: { table },
          teardown: async () => {
            const session = await mysql.createConnection(login)
            await session.query(`DROP TABLE IF EXISTS \`${table}\``)
            await session.end()
          }
        }
      }
    },
    ...(["list", "stream", "publish"] as const).map(
      (mode): BenchCase => ({
        name: `redis-${mode}`,
        spec: redisDestination,
        prepare: async () => {
          const server = serviceAddress("redis")
          const target = `hs-bench:${mode}:${process.pid}:${Date.now()}`
          const field = { list: "key", stream: "stream", publish: "channel" }[mode]
          return {
            connection: { type: "redis", host: server.host, port: server.port },
            config: { mode, [field]: target, ...(mode === "stream" ? { maxlen: 100_000 } : {}) },
            teardown: async () => {
              const client = new Redis({ host: server.host, port: server.port })
              const guards = await client.keys(`hookstream:dedupe:${mode}:${target}:*`)
              await client.del(target, ...guards)
              await client.quit()
            }
          }
        }
      })
    ),
    {
      name: "rabbitmq",
      spec: rabbitmqDestination,
      prepare: async () => {
        const server = serviceAddress("rabbitmq")
        const queue = `hs-bench.${process.pid}.${Date.now()}`
        const admin = await amqp.connect(server.url)
        const channel = await admin.createChannel()
        await channel.assertQueue(queue, { durable: true })
        return {
          connection: { type: "rabbitmq", host: server.host, port: server.port, user: "guest", password: "guest" },
          config: { queue },
          teardown: async () => {
            await channel.deleteQueue(queue)
            await admin.close()
          }
        }
      }
    },
    ...([0, 1, 2] as const).map(
      (qos): BenchCase => ({
        name: `mqtt-qos${qos}`,
        spec: mqttDestination,
        prepare: async () => {
          const server = serviceAddress("mosquitto")
          return {
            connection: { type: "mqtt", host: server.host, port: server.port, protocol_version: 5 },
            config: { topic: `hs-bench/${process.pid}/${Date.now()}`, qos }
          }
        }
      })
    ),
    ...([true, false] as const).map(
      (jetstream): BenchCase => ({
        name: jetstream ? "nats-jetstream" : "nats-core",
        spec: natsDestination,
        prepare: async () => {
          const server = serviceAddress("nats")
          const subject = `hs.bench.${process.pid}.${Date.now()}`
          const admin = await natsConnect({ servers: `${server.host}:${server.port}` })
          const jsm = await jetstreamManager(admin)
          const stream = `hs-bench-${process.pid}-${Date.now()}`
          // file storage, as a stream that must survive a restart would use
          if (jetstream) await jsm.streams.add({ name: stream, subjects: [subject] })
          return {
            connection: { type: "nats", servers: [`${server.host}:${server.port}`] },
            config: { subject, jetstream },
            teardown: async () => {
              if (jetstream) await jsm.streams.delete(stream)
              await admin.close()
            }
          }
        }
      })
    )
  ]

  const rows: Array<Row> = []
  for (const c of cases) {
    if (only !== undefined && !only.includes(c.name)) continue
    const prepared = await c.prepare()
    if (typeof prepared === "string") {
      console.log(`${c.name}: skipped (${prepared})`)
      continue
    }
    try {
      rows.push(...(await measure(c.name, c.spec, prepared.connection, prepared.config)))
    } finally {
      await prepared.teardown?.()
    }
  }

  console.table(rows)
  mkdirSync("reports", { recursive: true })
  writeFileSync(
    "reports/bench-destinations.json",
    `${JSON.stringify({ node: process.version, n: N, cpus: 2, rows }, null, 2)}\n`
  )
}
