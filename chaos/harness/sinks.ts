/**
 * The real sinks, seen from outside hookstream: how many effects each event left.
 * PostgreSQL: rows per event id in a scenario's own table (json mode dedupes on the
 * idempotency key). NATS JetStream: messages per `hookstream-event-id` header in a
 * scenario's own stream (deduped by Nats-Msg-Id within the stream's duplicate window,
 * set here to outlast the scenario). Both are dropped by `close()`.
 */
import { type JetStreamManager, jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream"
import { connect, type NatsConnection } from "@nats-io/transport-node"
import pg from "pg"
import { requireService, type ServiceAddress } from "../../test/support/services.ts"

export interface PostgresSink {
  readonly address: ServiceAddress
  readonly table: string
  /** rows per event id */
  readonly counts: () => Promise<Map<string, number>>
  readonly rows: () => Promise<number>
  readonly close: () => Promise<void>
}

export const postgresSink = async (table: string): Promise<PostgresSink> => {
  const address = await requireService("postgres")
  const client = new pg.Client({ connectionString: address.url })
  await client.connect()
  const quoted = `"${table}"`
  await client.query(`DROP TABLE IF EXISTS ${quoted}`)
  return {
    address,
    table,
    counts: async () => {
      const out = new Map<string, number>()
      const exists = await client.query("SELECT to_regclass($1) AS t", [quoted])
      if (exists.rows[0]?.t === null) return out
      const result = await client.query<{ event_id: string; n: string }>(
        `SELECT event_id, count(*) AS n FROM ${quoted} GROUP BY event_id`
      )
      for (const row of result.rows) out.set(row.event_id, Number(row.n))
      return out
    },
    rows: async () => {
      const exists = await client.query("SELECT to_regclass($1) AS t", [quoted])
      if (exists.rows[0]?.t === null) return 0
      const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoted}`)
      return Number(result.rows[0]?.n ?? 0)
    },
    close: async () => {
      await client.query(`DROP TABLE IF EXISTS ${quoted}`).catch(() => undefined)
      await client.end()
    }
  }
}

export interface NatsSink {
  readonly url: string
  readonly subject: string
  readonly stream: string
  /** messages per hookstream-event-id header */
  readonly counts: () => Promise<Map<string, number>>
  readonly messages: () => Promise<number>
  readonly close: () => Promise<void>
}

export const natsSink = async (name: string): Promise<NatsSink> => {
  const address = await requireService("nats")
  const nc: NatsConnection = await connect({ servers: `${address.host}:${address.port}` })
  const jsm: JetStreamManager = await jetstreamManager(nc)
  const stream = name.toUpperCase()
  const subject = `chaos.${name}`
  await jsm.streams.delete(stream).catch(() => false)
  await jsm.streams.add({
    name: stream,
    subjects: [subject],
    storage: StorageType.File,
    // redeliveries after a crash come within minutes; the window must cover the whole run
    duplicate_window: 60 * 60 * 1_000_000_000
  })
  const messages = async () => (await jsm.streams.info(stream)).state.messages
  return {
    url: `nats://${address.host}:${address.port}`,
    subject,
    stream,
    messages,
    counts: async () => {
      const out = new Map<string, number>()
      const total = await messages()
      if (total === 0) return out
      const consumer = await jetstream(nc).consumers.get(stream)
      const iterator = await consumer.fetch({ max_messages: total, expires: 30_000 })
      let seen = 0
      for await (const m of iterator) {
        const id = m.headers?.get("hookstream-event-id") ?? ""
        out.set(id, (out.get(id) ?? 0) + 1)
        if (++seen >= total) break
      }
      return out
    },
    close: async () => {
      await jsm.streams.delete(stream).catch(() => false)
      await nc.close()
    }
  }
}

/** Events whose effect count is not exactly one: missing and doubled, with a sample. */
export const exactlyOnce = (counts: ReadonlyMap<string, number>, ids: ReadonlyArray<string>) => {
  let missing = 0
  let extra = 0
  const sample: Array<string> = []
  for (const id of ids) {
    const n = counts.get(id) ?? 0
    if (n === 0) missing++
    if (n > 1) extra += n - 1
    if (n !== 1 && sample.length < 5) sample.push(`${id}×${n}`)
  }
  return { missing, extra, sample }
}
