/**
 * secrets: secrets everywhere a careless program would leak them, through chains that fail.
 *
 * - connections (as ${VAR} references, values from the environment): an http connection's
 *   bearer token, API key and Standard Webhooks signing secret; a token in the step's URL
 *   query; PostgreSQL and Kafka (SASL) passwords that the sinks refuse;
 * - events through `hookstream ingress` with a bearer token, an API key and a cookie, and
 *   requests with wrong tokens (401); payloads and envelope headers full of secret-looking
 *   fields; events written straight to Kafka with `authorization` in their headers;
 * - sinks that echo secrets back: a 500 whose body repeats the request (headers and
 *   payload), a 401 whose WWW-Authenticate repeats the token;
 * - a processor that refuses to start (RabbitMQ rejecting a secret password).
 *
 * Required: no secret value (as is, base64, or URL-encoded) in any line either process
 * printed, in any result record, or in a dead letter's `error` and `result` fields (its
 * `event` keeps the original envelope on purpose, for replay). The sinks must have received
 * the secrets, else the check would prove nothing.
 */
import { randomBytes } from "node:crypto"
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { waitFor } from "../../test/support/waitFor.ts"
import { startScriptedServer } from "../harness/httpServers.ts"
import { waitForGroupCommitted } from "../harness/kafkaState.ts"
import { startOutcomeCollector, tally } from "../harness/outcomes.ts"
import { startIngressProcess, startProcessor } from "../harness/processes.ts"
import { produceEvents } from "../harness/produce.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type ChaosContext, Checks, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace, type Workspace } from "../harness/workspace.ts"

/** `${NAME}`: a reference the config loader fills from the environment */
const ref = (name: string) => `\${${name}}`

const secret = (label: string) => `${label}_${randomBytes(12).toString("hex")}`

/** every form a secret could leak in */
const forms = (value: string): ReadonlyArray<string> => [
  value,
  Buffer.from(value).toString("base64"),
  encodeURIComponent(value),
  // the secret part alone (a prefix stripped by a "Bearer " or "whsec_" parser)
  value.slice(value.indexOf("_") + 1)
]

const findSecrets = (text: string, secrets: Readonly<Record<string, string>>): ReadonlyArray<string> =>
  Object.entries(secrets).flatMap(([name, value]) => (forms(value).some((f) => text.includes(f)) ? [name] : []))

export const secrets = async (ctx: ChaosContext, size: Sizes["secrets"]): Promise<ScenarioResult> => {
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const s = {
    CRM_TOKEN: secret("crmtoken"),
    CRM_KEY: secret("crmkey"),
    CRM_SIGNING: `whsec_${randomBytes(24).toString("base64")}`,
    URL_TOKEN: secret("urltoken"),
    PG_PASSWORD: secret("pgpass"),
    KAFKA_PASSWORD: secret("kafkapass"),
    RABBIT_PASSWORD: secret("rabbitpass"),
    INGRESS_TOKEN: secret("ingresstoken"),
    WRONG_TOKEN: secret("wrongtoken"),
    CLIENT_KEY: secret("clientkey"),
    COOKIE: secret("cookie"),
    PAYLOAD_PASSWORD: secret("payloadpass"),
    CARD: secret("card"),
    HEADER_AUTH: secret("headerauth")
  }
  const echo = await startScriptedServer()
  echo.on("/echo", {
    type: "reply",
    reply: (r) => ({ status: 500, body: JSON.stringify({ youSent: r.headers, body: r.body }) })
  })
  echo.on("/deny", {
    type: "reply",
    reply: (r) => ({
      status: 401,
      headers: { "www-authenticate": `Bearer realm="x", error="invalid_token ${String(r.headers.authorization)}"` },
      body: `bad token ${String(r.headers.authorization)}`
    })
  })
  const env = Object.fromEntries(Object.entries(s))
  const ws = await makeWorkspace(ctx, "secrets", {
    partitions: 2,
    connections: {
      crm: {
        type: "http",
        headers: { authorization: `Bearer ${ref("CRM_TOKEN")}`, "x-api-key": ref("CRM_KEY") },
        signing_secret: ref("CRM_SIGNING")
      },
      db: {
        type: "postgresql",
        host: "127.0.0.1",
        port: 5432,
        database: "test",
        user: "chaos_nobody",
        password: ref("PG_PASSWORD"),
        connect_timeout: "2s"
      },
      bus: {
        type: "kafka",
        brokers: ctx.brokers,
        sasl: { mechanism: "plain", username: "chaos", password: ref("KAFKA_PASSWORD") }
      }
    },
    streams: {
      vault: {
        id: "vault",
        execution: "parallel",
        timeout: "8s",
        ingress: { auth: { bearer: { tokens: [ref("INGRESS_TOKEN")] } } },
        chain: [
          {
            module: "http",
            id: "echo",
            connection: "crm",
            config: {
              url: `${echo.url("/echo")}?token=${ref("URL_TOKEN")}`,
              allowed_hosts: ["127.0.0.1"],
              forward_headers: ["*"]
            },
            retry: { max_attempts: 2, initial_delay: "50ms" }
          },
          {
            module: "http",
            id: "deny",
            connection: "crm",
            config: { url: echo.url("/deny"), allowed_hosts: ["127.0.0.1"], forward_headers: ["*"] }
          },
          { module: "postgresql", id: "store", connection: "db", config: { table: "chaos_secrets" }, timeout: "3s" },
          {
            module: "kafka",
            id: "publish",
            connection: "bus",
            config: { topic: `${ctx.runId}.secrets.sink` },
            timeout: "3s"
          }
        ]
      }
    }
  })
  const errorFields: Array<string> = []
  const resultValues: Array<string> = []
  let eventsWithSecrets = 0
  const collector = await startOutcomeCollector(ctx.kafka, ws.topics, {
    onRecord: (r) => {
      if (r.kind === "result") resultValues.push(r.raw)
      else {
        errorFields.push(JSON.stringify({ error: r.value["error"], result: r.value["result"] }))
        if (findSecrets(JSON.stringify(r.value["event"] ?? ""), s).length > 0) eventsWithSecrets++
      }
    }
  })
  const processor = startProcessor(ws, {
    brokers: ctx.brokers,
    label: "secrets",
    env: { ...env, LOG_LEVEL: "debug" },
    verbose: ctx.verbose
  })
  const ingress = startIngressProcess(ws, {
    brokers: ctx.brokers,
    label: "secrets-ingress",
    maxInFlight: 64,
    env: { ...env, LOG_LEVEL: "debug" },
    verbose: ctx.verbose
  })
  try {
    await Promise.all([processor.ready({ partitions: true }), ingress.ready()])
    await waitFor(() => ingress.url() !== undefined, { timeoutMs: 30_000, description: "the ingress URL" })
    const url = `${ingress.url()}/webhooks/vault`
    const payload = {
      user: { email: "a@example.com", password: s.PAYLOAD_PASSWORD },
      card_number: s.CARD,
      api_key: s.CLIENT_KEY,
      note: `call me with Bearer ${s.HEADER_AUTH}`
    }
    // through the ingress: credentials in the request (the bearer token authenticates it)
    const accepted: Array<string> = []
    let refused = 0
    for (let i = 0; i < size.events; i++) {
      const wrong = i % 4 === 3
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${wrong ? s.WRONG_TOKEN : s.INGRESS_TOKEN}`,
          "x-api-key": s.CLIENT_KEY,
          cookie: `session=${s.COOKIE}`
        },
        body: JSON.stringify({ ...payload, n: i })
      })
      const body = (await response.json().catch(() => ({}))) as { event_id?: string }
      if (response.status === 202 && body.event_id !== undefined) accepted.push(body.event_id)
      else if (response.status === 401) refused++
    }
    // straight to Kafka: a producer that left credentials in the envelope's headers
    const direct = Array.from({ length: size.events }, (_, i) => `secrets-direct-${i}`)
    await produceEvents(ctx.kafka, ws.topics.input, size.events, (i) => ({
      webhookId: "vault",
      id: direct[i] as string,
      headers: { authorization: `Bearer ${s.HEADER_AUTH}`, "x-api-key": s.CLIENT_KEY, cookie: `sid=${s.COOKIE}` },
      payload: { ...payload, n: i }
    }))
    const ids = [...accepted, ...direct]
    figures["ingress_accepted"] = accepted.length
    figures["ingress_refused_401"] = refused
    checks.add(
      "the ingress took the good token and refused the wrong one",
      accepted.length === size.events - Math.floor(size.events / 4) && refused === Math.floor(size.events / 4),
      `${accepted.length} × 202, ${refused} × 401`
    )
    await collector.waitForAll(ids, { timeoutMs: 120_000 })
    await waitForGroupCommitted(ctx.kafka, ws.group, ws.topics.input, 60_000)
    await collector.caughtUp()
    const t = tally(collector, ids)
    checks.add("lost = 0", t.lost === 0, `${t.lost} of ${t.events} without outcome`)
    const notFailed = ids.filter((id) => collector.events.get(id)?.reason !== "chain_failed").length
    checks.add("every chain failed and was dead-lettered", notFailed === 0, `${notFailed} not chain_failed`)

    // the sinks did see the secrets (else the checks below would prove nothing)
    const seen = echo.requests.map((r) => r.url + JSON.stringify(r.headers) + r.body).join("\n")
    const wanted = {
      CRM_TOKEN: s.CRM_TOKEN,
      CRM_KEY: s.CRM_KEY,
      URL_TOKEN: s.URL_TOKEN,
      CARD: s.CARD,
      PAYLOAD_PASSWORD: s.PAYLOAD_PASSWORD,
      CLIENT_KEY: s.CLIENT_KEY
    }
    const reached = findSecrets(seen, wanted)
    checks.add(
      "the sinks received the secrets (and echoed them back)",
      reached.length === Object.keys(wanted).length,
      `${reached.join(", ")}`
    )

    await processor.kill("SIGTERM")
    await ingress.kill("SIGTERM")
    // a processor refused at startup by a sink that rejects its secret password
    const refusedWs = await refusedStartup(ctx, ws, env)
    figures["refused_startup_exit"] = refusedWs.code ?? -1
    checks.add(
      "a processor whose RabbitMQ password is refused stops at startup (exit 1)",
      refusedWs.code === 1,
      `exit ${refusedWs.code}`
    )

    const logs = [
      await readFile(join(ws.dir, "processor.log"), "utf8"),
      await readFile(join(ws.dir, "ingress.log"), "utf8")
    ].join("\n")
    const logLines = logs.split("\n").length
    figures["log_lines"] = logLines
    const inLogs = findSecrets(logs, s)
    checks.add(
      "no secret in any log line",
      inLogs.length === 0,
      inLogs.length === 0 ? `${logLines} lines` : inLogs.join(", ")
    )
    const inResults = findSecrets(resultValues.join("\n"), s)
    checks.add(
      "no secret in any result record",
      inResults.length === 0,
      inResults.length === 0 ? `${resultValues.length} records` : inResults.join(", ")
    )
    const inErrors = findSecrets(errorFields.join("\n"), s)
    checks.add(
      "no secret in any dead letter's error or result",
      inErrors.length === 0,
      inErrors.length === 0 ? `${errorFields.length} records` : inErrors.join(", ")
    )
    figures["dead_letters_keeping_secret_payloads"] = eventsWithSecrets
    return scenarioResult(
      t,
      checks,
      started,
      `${Object.keys(s).length} secrets in connections, URLs, payloads, headers, ingress auth; echoed back by sinks; ` +
        `0 in ${logLines} log lines, ${resultValues.length} results, ${errorFields.length} DLQ error fields`,
      figures
    )
  } finally {
    await processor.kill("SIGKILL")
    await ingress.kill("SIGKILL")
    await collector.stop()
    await echo.close()
    await ws.close()
  }
}

/** `hookstream run` with a RabbitMQ connection whose (secret) password the broker refuses */
const refusedStartup = async (ctx: ChaosContext, ws: Workspace, env: Readonly<Record<string, string>>) => {
  const rabbit = await makeWorkspace(ctx, "secrets-startup", {
    partitions: 1,
    connections: {
      mq: { type: "rabbitmq", url: `amqp://guest:${ref("RABBIT_PASSWORD")}@127.0.0.1:5672` }
    },
    streams: {
      vault: {
        id: "vault",
        chain: [
          { module: "rabbitmq", id: "mq", connection: "mq", config: { exchange: "chaos.secrets", routing_key: "x" } }
        ]
      }
    }
  })
  try {
    const p = startProcessor({ ...rabbit, dir: ws.dir }, { brokers: ctx.brokers, label: "secrets-startup", env })
    return await p.exited
  } finally {
    await rabbit.close()
  }
}
