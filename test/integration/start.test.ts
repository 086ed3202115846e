/**
 * `npm start` end to end: the embedded default (pointed at the run's broker instead of its
 * own) runs the example streams against the machine's real services; events sent with
 * `hookstream send --wait` come back as succeeded result records, through parallel and
 * sequential chains that use every destination; commands run from the checkout find its
 * broker without --brokers; SIGTERM stops it with exit code 0. Then with a broker of its own:
 * a healthy start logs no error, and Ctrl-C (SIGINT to the terminal's process group) stops the
 * ingress, the processor and only then the broker, with no error logged.
 *
 * Both run in this one file, one after the other: each npm start announces its broker in the
 * checkout's .kafka/npm-start.json.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { isAlive } from "../../src/kafka/local/BrokerProcess.ts"
import { kafkaBrokers } from "../support/kafka.ts"
import { requireService } from "../support/services.ts"
import { waitFor } from "../support/waitFor.ts"
import { hookstream } from "../unit/cli/hookstreamProcess.ts"

const root = join(import.meta.dirname, "..", "..")
/** where npm start announces its broker (src/kafka/local/checkoutBroker.ts) */
const CHECKOUT_BROKER_FILE = join(root, ".kafka", "npm-start.json")
let main: ChildProcess | undefined
let output = ""
let exited: Promise<number | null> = Promise.resolve(null)

const send = async (webhookId: string, payload: unknown, key: string) => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      join(root, "bin/hookstream.js"),
      "send",
      webhookId,
      JSON.stringify(payload),
      "--key",
      key,
      "--wait",
      "--timeout",
      "60s"
    ],
    { cwd: root, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers() } }
  )
  return JSON.parse(stdout.slice(stdout.indexOf("{"))) as {
    status: string
    modules: Array<{ id: string; module: string; status: string; error?: { message: string } }>
  }
}

beforeAll(async () => {
  for (const service of ["postgres", "mariadb", "redis", "rabbitmq", "mosquitto", "nats"] as const) {
    await requireService(service)
  }
  main = spawn(process.execPath, ["src/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      KAFKA_BROKERS: kafkaBrokers(),
      HOOKSTREAM_FILE_DIR: mkdtempSync(join(tmpdir(), "hs-files-"))
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  main.stdout?.on("data", (d) => {
    output += d.toString()
  })
  main.stderr?.on("data", (d) => {
    output += d.toString()
  })
  const proc = main
  exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)))
  await waitFor(() => output.includes("hookstream is running") && output.includes("partitions assigned"), {
    timeoutMs: 60_000,
    description: () => `npm start ready (output: ${output.slice(-3_000)})`
  })
}, 90_000)

afterAll(async () => {
  if (main !== undefined && main.exitCode === null) main.kill("SIGKILL")
  await exited
})

describe("npm start (embedded default)", () => {
  it("orders: a parallel chain through http, postgresql and kafka succeeds end to end", async () => {
    const result = await send("orders", { order_id: 7, customer: { id: "c-7" } }, "c-7")
    expect(result.modules.map((m) => [m.id, m.status])).toEqual([
      ["notify-crm", "succeeded"],
      ["store", "succeeded"],
      ["publish", "succeeded"]
    ])
    expect(result.status, JSON.stringify(result.modules)).toBe("succeeded")
  }, 90_000)

  it("payments and github-push: every other destination succeeds end to end", async () => {
    const payments = await send("payments", { payment_id: "p-7", amount: { value: 12.5, currency: "EUR" } }, "p-7")
    expect(payments.status, JSON.stringify(payments.modules)).toBe("succeeded")
    const push = await send(
      "github-push",
      { ref: "refs/heads/main", repository: { full_name: "acme/shop" } },
      "acme/shop"
    )
    expect(push.status, JSON.stringify(push.modules)).toBe("succeeded")
    const modules = new Set([...payments.modules, ...push.modules].map((m) => m.module))
    for (const m of ["log", "file", "redis", "rabbitmq", "mqtt", "mysql", "nats"]) expect(modules.has(m), m).toBe(true)
  }, 90_000)

  it("commands run from the checkout use its broker with neither --brokers nor KAFKA_BROKERS", async () => {
    expect(JSON.parse(readFileSync(CHECKOUT_BROKER_FILE, "utf8"))).toEqual({ brokers: kafkaBrokers(), pid: main?.pid })
    const stats = await hookstream(["dlq", "stats", "--json"])
    expect(stats.code, stats.stderr).toBe(0)
    expect(JSON.parse(stats.stdout)).toMatchObject({ topic: "webhooks.dlq" })
  }, 60_000)

  it("stripe: filter, when and transform through the real pipeline", async () => {
    const subscription = (id: string, livemode: boolean, type: string) => ({
      id,
      livemode,
      type,
      data: {
        object: {
          id: "sub_1",
          customer: "cus_1",
          status: "active",
          items: { data: [{ price: { id: "p", unit_amount: 4900 } }] }
        }
      }
    })
    const live = await send("stripe", subscription("evt_s1", true, "customer.subscription.updated"), "cus_1")
    expect(
      live.modules.map((m) => [m.id, m.status]),
      JSON.stringify(live.modules)
    ).toEqual([
      ["archive", "succeeded"],
      ["crm", "succeeded"]
    ])
    const invoice = await send("stripe", subscription("evt_s2", true, "invoice.paid"), "cus_1")
    expect(invoice.status).toBe("succeeded")
    expect(invoice.modules.map((m) => [m.id, m.status])).toEqual([
      ["archive", "succeeded"],
      ["crm", "skipped"]
    ])
    const testMode = await send("stripe", subscription("evt_s3", false, "customer.subscription.updated"), "cus_1")
    expect(testMode.status).toBe("filtered")
    expect(testMode.modules).toEqual([])
  }, 90_000)

  it("SIGTERM stops it cleanly with exit code 0, and its broker is no longer announced", async () => {
    main?.kill("SIGTERM")
    expect(await exited).toBe(0)
    expect(output).toContain("processor stopped")
    expect(existsSync(CHECKOUT_BROKER_FILE)).toBe(false)
  }, 60_000)
})

describe("npm start with a broker of its own", () => {
  let own: ChildProcess | undefined
  let log = ""
  let ended: Promise<number | null> = Promise.resolve(null)

  beforeAll(async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOOKSTREAM_FILE_DIR: mkdtempSync(join(tmpdir(), "hs-files-")) }
    delete env["KAFKA_BROKERS"]
    // its own process group, as a terminal runs a foreground command: Ctrl-C signals the group
    own = spawn(process.execPath, ["src/main.ts"], {
      cwd: root,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true
    })
    own.stdout?.on("data", (d) => {
      log += d.toString()
    })
    own.stderr?.on("data", (d) => {
      log += d.toString()
    })
    const proc = own
    ended = new Promise((resolve) => proc.on("exit", (code) => resolve(code)))
    await waitFor(() => log.includes("hookstream is running") && log.includes("partitions assigned"), {
      timeoutMs: 120_000,
      description: () => `npm start ready (output: ${log.slice(-3_000)})`
    })
  }, 150_000)

  afterAll(async () => {
    if (own?.pid !== undefined && own.exitCode === null) process.kill(-own.pid, "SIGKILL")
    await ended
  })

  it("logs no error while healthy; Ctrl-C stops ingress, processor, then the broker, with no error", async () => {
    const brokerLog = /local Kafka \S+ ready in \d+ ms \(log: (.+)\)/.exec(log)?.[1]
    expect(brokerLog, log).toBeDefined()
    const brokerPid = Number(readFileSync(join(dirname(brokerLog as string), "broker.pid"), "utf8"))
    expect(isAlive(brokerPid)).toBe(true)
    process.kill(-(own?.pid as number), "SIGINT")
    expect(await ended).toBe(0)
    const errors = log.split("\n").filter((l) => l.includes(`"level":"error"`) || l.includes("ECONNREFUSED"))
    expect(errors).toEqual([])
    expect(log).toContain("processor stopped")
    expect(isAlive(brokerPid)).toBe(false)
  }, 90_000)
})
