/**
 * Two streams whose chains share their sinks (the defaults: the file base directory `.`, the
 * table `webhook_events`; here one table per database and one directory) and, being built
 * alike, their module ids, receive events with the same id: an unauthenticated stream's event
 * must not pre-empt or overwrite a signed stream's. Both records are kept because every
 * idempotency key is `<webhook_id>:<event_id>:<module id>`. The chains run through the real
 * engine and the real destinations against the machine's PostgreSQL and MariaDB.
 */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"
import { idempotencyKey } from "../../../src/domain/IdempotencyKey.ts"
import { ChainEngine } from "../../../src/engine/ChainEngine.ts"
import { bindStreams } from "../../../src/processor/bindStreams.ts"
import type { RunnableStream } from "../../../src/processor/handleRecord.ts"
import { requireService } from "../../support/services.ts"
import {
  mariadbLogin,
  postgresLogin,
  uniqueTable,
  withMariadbSession,
  withPgClient
} from "../../support/sqlSessions.ts"

await requireService("postgres")
await requireService("mariadb")

const pgTable = uniqueTable("shared_pg")
const myTable = uniqueTable("shared_my")
const base = mkdtempSync(join(tmpdir(), "hookstream-shared-"))
const previousBase = process.env.HOOKSTREAM_FILE_DIR
const scope = Effect.runSync(Scope.make())
let streams: ReadonlyMap<string, RunnableStream>
const engine = ChainEngine.make()

/** the same chain twice: same module ids (the defaults), same directory, same tables */
const chain = (id: string, ingress: string) =>
  [
    `id: ${id}`,
    `ingress: ${ingress}`,
    "chain:",
    "  - module: file",
    "  - module: postgresql",
    "    connection: pg",
    `    config: { table: ${pgTable} }`,
    "  - module: mysql",
    "    connection: my",
    `    config: { table: ${myTable} }`
  ].join("\n")

beforeAll(async () => {
  process.env.HOOKSTREAM_FILE_DIR = base
  // JSON is YAML: the logins as the connections file would hold them
  const connections = [
    `pg: ${JSON.stringify({ type: "postgresql", ...postgresLogin() })}`,
    `my: ${JSON.stringify({ type: "mysql", ...mariadbLogin() })}`
  ].join("\n")
  const { config, issues } = validateSources({
    streams: [
      { path: "signed.yaml", text: chain("signed", "{ auth: { hmac: { style: github, secrets: [s3cret-s3cret] } } }") },
      { path: "open.yaml", text: chain("open", "{}") }
    ],
    connections: { path: "connections.yaml", text: connections },
    env: {}
  })
  if (config === undefined) throw new Error(JSON.stringify(issues, null, 2))
  streams = await Effect.runPromise(Scope.provide(scope)(bindStreams(config, engine)))
})

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await withPgClient((c) => c.query(`DROP TABLE IF EXISTS "${pgTable}"`))
  await withMariadbSession((s) => s.query(`DROP TABLE IF EXISTS \`${myTable}\``))
  if (previousBase === undefined) Reflect.deleteProperty(process.env, "HOOKSTREAM_FILE_DIR")
  else process.env.HOOKSTREAM_FILE_DIR = previousBase
})

const run = async (webhookId: string, eventId: string, payload: unknown) => {
  const stream = streams.get(webhookId)
  if (stream === undefined) throw new Error(`no stream ${webhookId}`)
  const outcome = await Effect.runPromise(
    engine.run(stream.chain, { eventId, payload, payloadEncoding: "json", headers: {} })
  )
  expect(outcome.modules.map((m) => [m.id, m.status])).toEqual([
    ["file-0", "succeeded"],
    ["postgresql-1", "succeeded"],
    ["mysql-2", "succeeded"]
  ])
}

describe("two streams, one event id, shared sinks", () => {
  it("keeps both records in the table, the other table and the directory", async () => {
    const eventId = `evt_shared_${Date.now()}`
    await run("signed", eventId, { from: "signed", amount: 100 })
    await run("open", eventId, { from: "open", amount: 0 })

    const pgRows = await withPgClient(
      async (c) =>
        (await c.query(`SELECT idempotency_key, webhook_id, payload FROM "${pgTable}" WHERE event_id = $1`, [eventId]))
          .rows as Array<{ idempotency_key: string; webhook_id: string; payload: { from: string } }>
    )
    expect(pgRows.map((r) => [r.webhook_id, r.payload.from, r.idempotency_key]).sort()).toEqual([
      ["open", "open", idempotencyKey("open", eventId, "postgresql-1")],
      ["signed", "signed", idempotencyKey("signed", eventId, "postgresql-1")]
    ])

    const myRows = await withMariadbSession(async (s) => {
      const [rows] = await s.query(`SELECT webhook_id, payload FROM \`${myTable}\` WHERE event_id = ?`, [eventId])
      return rows as Array<{ webhook_id: string; payload: string | { from: string } }>
    })
    const from = (p: string | { from: string }) =>
      (typeof p === "string" ? (JSON.parse(p) as { from: string }) : p).from
    expect(myRows.map((r) => [r.webhook_id, from(r.payload)]).sort()).toEqual([
      ["open", "open"],
      ["signed", "signed"]
    ])

    const files = readdirSync(base).filter((name) => name.includes(eventId))
    const contents = files.map((name) => JSON.parse(readFileSync(join(base, name), "utf8")) as Record<string, unknown>)
    expect(contents.map((c) => [c.webhook_id, (c.payload as { from: string }).from]).sort()).toEqual([
      ["open", "open"],
      ["signed", "signed"]
    ])
  })

  it("a redelivery of either stream's event still adds nothing", async () => {
    const eventId = `evt_again_${Date.now()}`
    for (const webhookId of ["signed", "open", "signed", "open"]) await run(webhookId, eventId, { from: webhookId })
    const count = await withPgClient(
      async (c) => (await c.query(`SELECT count(*)::int AS n FROM "${pgTable}" WHERE event_id = $1`, [eventId])).rows[0]
    )
    expect(count).toEqual({ n: 2 })
    expect(readdirSync(base).filter((name) => name.includes(eventId))).toHaveLength(2)
  })
})
