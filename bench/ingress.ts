/**
 * Ingress throughput and latency: runs `hookstream ingress` as its own process (GitHub HMAC
 * on a ~1 KiB JSON body) against a bench-profile broker, then drives it from this process:
 * one client in sequence (latency of a lone 202), then `concurrency` clients (202s per
 * second and latency under load). The same again on a stream with an RS256 JWT and a
 * payload_schema, and the CPU per request of each check measured in this process on the
 * compiled checks (bench/harness/authCost.ts). Checks the topic holds one record per 202.
 *
 *   node bench/ingress.ts [requests=20000] [concurrency=64]   (KAFKA_BROKERS=… to reuse a broker)
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createHmac, randomUUID } from "node:crypto"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect } from "effect"
import { exportSPKI, generateKeyPair, SignJWT } from "jose"
import { Pool } from "undici"
import { makeKafka } from "../src/kafka/kafkaClient.ts"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"
import { readCommitted } from "../src/kafka/TopicReader.ts"
import { ensureTopics } from "../src/kafka/topics.ts"
import { BENCH_SCHEMA, measureCheckCosts } from "./harness/authCost.ts"

const requests = Number(process.argv[2] ?? 20_000)
const concurrency = Number(process.argv[3] ?? 64)
const SECRET = "bench-secret"
const root = join(import.meta.dirname, "..")

const broker = await startLocalKafka({ profile: "bench" })
let child: ChildProcess | undefined
try {
  const kafka = makeKafka({ brokers: broker.brokers.split(","), clientId: "bench-ingress" })
  const topic = `bench-ingress-${Date.now()}`
  await Effect.runPromise(ensureTopics(kafka, [{ topic, partitions: 6 }]))
  const dir = mkdtempSync(join(tmpdir(), "bench-ingress-"))
  writeFileSync(
    join(dir, "bench.yaml"),
    `id: bench\ningress: { auth: { hmac: { style: github, secrets: [${SECRET}] } }, key: /customer/id }\nchain: [{ module: log }]\n`
  )
  const rsa = await generateKeyPair("RS256")
  const jwtAuth = `{ algorithms: [RS256], public_keys: [${JSON.stringify(await exportSPKI(rsa.publicKey))}], issuer: "https://idp.bench/", audience: hookstream }`
  writeFileSync(
    join(dir, "bench-jwt.yaml"),
    `id: bench-jwt\npayload_schema: ${JSON.stringify(BENCH_SCHEMA)}\ningress: { auth: { jwt: ${jwtAuth} }, key: /customer/id }\nchain: [{ module: log }]\n`
  )
  // one token for every request: the ingress verifies it each time (nothing is cached per token)
  const token = await new SignJWT({ sub: "bench" })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer("https://idp.bench/")
    .setAudience("hookstream")
    .setExpirationTime("2h")
    .sign(rsa.privateKey)
  child = spawn(
    process.execPath,
    [
      join(root, "bin/hookstream.js"),
      "ingress",
      "--streams",
      dir,
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--ops-port",
      "0",
      "--max-in-flight",
      String(Math.max(1_024, concurrency * 2))
    ],
    {
      env: { ...process.env, KAFKA_BROKERS: broker.brokers, HOOKSTREAM_INPUT: topic },
      stdio: ["ignore", "pipe", "inherit"]
    }
  )
  let output = ""
  child.stdout?.on("data", (d) => {
    output += d.toString()
  })
  const deadline = Date.now() + 30_000
  while (!/ops on \S+/.test(output)) {
    if (Date.now() > deadline) throw new Error(`ingress did not start: ${output}`)
    await new Promise((r) => setTimeout(r, 50))
  }
  const url = /listening on (http:\/\/[^/\s]+)/.exec(output)?.[1] as string
  const opsUrl = /ops on (\S+)/.exec(output)?.[1] as string
  while ((await fetch(`${opsUrl}/readyz`)).status !== 200) await new Promise((r) => setTimeout(r, 100))

  const pool = new Pool(url, { connections: concurrency, pipelining: 1 })
  const filler = "x".repeat(800)
  const benchBody = (n: number) => JSON.stringify({ n, customer: { id: `c-${n % 1000}` }, filler })
  let jwtStream = false
  const one = async (n: number): Promise<{ status: number; ms: number }> => {
    const body = benchBody(n)
    const began = performance.now()
    const response = await pool.request({
      path: jwtStream ? "/webhooks/bench-jwt" : "/webhooks/bench",
      method: "POST",
      headers: jwtStream
        ? { "content-type": "application/json", authorization: `Bearer ${token}` }
        : {
            "content-type": "application/json",
            "x-github-delivery": randomUUID(),
            "x-hub-signature-256": `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`
          },
      body
    })
    await response.body.dump()
    return { status: response.statusCode, ms: performance.now() - began }
  }
  const run = async (count: number, parallel: number) => {
    const latencies: Array<number> = []
    const statuses = new Map<number, number>()
    let next = 0
    const began = performance.now()
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < count) {
          const r = await one(next++)
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status === 202) latencies.push(r.ms)
        }
      })
    )
    const seconds = (performance.now() - began) / 1000
    latencies.sort((a, b) => a - b)
    const at = (q: number) =>
      (latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0).toFixed(2)
    return {
      accepted: statuses.get(202) ?? 0,
      statuses: Object.fromEntries(statuses),
      perSecond: Math.round((statuses.get(202) ?? 0) / seconds),
      p50: at(0.5),
      p99: at(0.99),
      max: (latencies.at(-1) ?? 0).toFixed(2)
    }
  }

  await run(2_000, concurrency) // warm-up: JIT, connections, producer
  const lone = await run(1_000, 1)
  const loaded = await run(requests, concurrency)
  jwtStream = true
  await run(1_000, concurrency) // warm-up of the JWT stream
  const loneJwt = await run(1_000, 1)
  const loadedJwt = await run(requests, concurrency)
  const costs = await measureCheckCosts(benchBody(1))
  // what a read_committed consumer sees (the ingress writes in transactions: the high
  // watermarks would also count the commit markers)
  const onTopic = (await Effect.runPromise(readCommitted(kafka, topic))).length
  await pool.close()
  const expected = 2_000 + lone.accepted + loaded.accepted + 1_000 + loneJwt.accepted + loadedJwt.accepted
  console.log(
    [
      `ingress bench (broker ${broker.external ? broker.brokers : "local, bench profile"}; GitHub HMAC, ~1 KiB JSON)`,
      `  1 client:   ${lone.perSecond} 202/s, latency p50 ${lone.p50} ms, p99 ${lone.p99} ms, max ${lone.max} ms ${JSON.stringify(lone.statuses)}`,
      `  ${concurrency} clients: ${loaded.perSecond} 202/s, latency p50 ${loaded.p50} ms, p99 ${loaded.p99} ms, max ${loaded.max} ms ${JSON.stringify(loaded.statuses)}`,
      `  RS256 JWT + payload_schema, 1 client:   ${loneJwt.perSecond} 202/s, latency p50 ${loneJwt.p50} ms, p99 ${loneJwt.p99} ms ${JSON.stringify(loneJwt.statuses)}`,
      `  RS256 JWT + payload_schema, ${concurrency} clients: ${loadedJwt.perSecond} 202/s, latency p50 ${loadedJwt.p50} ms, p99 ${loadedJwt.p99} ms ${JSON.stringify(loadedJwt.statuses)}`,
      "  CPU per request of each check (in process, compiled checks):",
      ...costs.map((c) => `    ${c.check.padEnd(30)} ${c.microsPerRequest.toFixed(1)} µs`),
      `  records on the topic: ${onTopic} (expected ${expected}: one per 202, warm-ups included)`
    ].join("\n")
  )
  if (onTopic !== expected) process.exitCode = 1
} finally {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child?.once("exit", r))
    child.kill("SIGTERM")
    await exited
  }
  await broker.stop()
}
