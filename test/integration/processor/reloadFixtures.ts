/**
 * What the hot-reload test (reload.test.ts) needs around the real `hookstream run`: the
 * stream and connection files it edits (written as editors save: a temporary file renamed
 * over the old one), and PostgreSQL seen from outside: databases of the test's own, the
 * processor's sessions on them (pg_stat_activity, application_name `hookstream`), and the
 * rows each event left; and what the processor says of its reloads (log lines, /metrics,
 * the console's streams view).
 */
import { rename, writeFile } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import pg from "pg"
import { metricSum } from "../../../chaos/harness/metrics.ts"
import type { HookstreamProcess } from "../../../chaos/harness/processes.ts"
import type { RecordingServer } from "../../support/recordingServer.ts"
import { postgresLogin } from "../../support/sqlSessions.ts"

/** Writes `text` to a hidden temporary file next to `path` (the loader skips hidden files) and renames it over `path`. */
export const replaceFile = async (path: string, text: string): Promise<void> => {
  const temporary = join(dirname(path), `.${basename(path)}.tmp`)
  await writeFile(temporary, text)
  await rename(temporary, path)
}

export const httpStream = (id: string, url: string): string =>
  [
    `id: ${id}`,
    "chain:",
    "  - module: http",
    "    id: deliver",
    `    config: { url: "${url}", allowed_hosts: ["127.0.0.1"] }`,
    ""
  ].join("\n")

export const postgresStream = (id: string, connection: string, table: string): string =>
  [
    `id: ${id}`,
    "chain:",
    "  - module: postgresql",
    "    id: store",
    `    connection: ${connection}`,
    `    config: { table: ${table}, storage_mode: json }`,
    ""
  ].join("\n")

/** The connections file with one postgresql connection `name` on `database` of the machine's server. */
export const connectionsFile = (name: string, database: string): string => {
  const login = postgresLogin()
  return `${JSON.stringify({ [name]: { type: "postgresql", ...login, database, pool_size: 4 } }, null, 2)}\n`
}

/** A short session on `database` (the server's default one when omitted), closed after `use`. */
export const withDatabase = async <A>(database: string | undefined, use: (client: pg.Client) => Promise<A>) => {
  const client = new pg.Client({ ...postgresLogin(), ...(database === undefined ? {} : { database }) })
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

export const createDatabases = (names: ReadonlyArray<string>): Promise<void> =>
  withDatabase(undefined, async (client) => {
    for (const name of names) await client.query(`CREATE DATABASE "${name}"`)
  })

/** FORCE: a session the processor left behind (a failed test) does not keep the database. */
export const dropDatabases = (names: ReadonlyArray<string>): Promise<void> =>
  withDatabase(undefined, async (client) => {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  })

/** Backend pids of the processor's sessions on `database` (its pool's connections). */
export const processorSessions = (database: string): Promise<ReadonlyArray<number>> =>
  withDatabase(undefined, async (client) => {
    const result = await client.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = 'hookstream' ORDER BY pid",
      [database]
    )
    return result.rows.map((row) => row.pid)
  })

/** Rows per event id in `table` of `database` (empty while the processor has not created the table). */
export const rowsPerEvent = (database: string, table: string): Promise<Map<string, number>> =>
  withDatabase(database, async (client) => {
    const out = new Map<string, number>()
    const exists = await client.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [table])
    if (exists.rows[0]?.t === null) return out
    const result = await client.query<{ event_id: string; n: string }>(
      `SELECT event_id, count(*) AS n FROM "${table}" GROUP BY event_id`
    )
    for (const row of result.rows) out.set(row.event_id, Number(row.n))
    return out
  })

/** The processor's JSON log lines (the fields the test reads), each with its text. */
interface ProcessorLog {
  readonly msg?: string
  readonly to?: string
}
export const logLines = (p: HookstreamProcess): Array<ProcessorLog & { readonly line: string }> =>
  p.lines().flatMap((line) => {
    try {
      return [{ ...(JSON.parse(line) as ProcessorLog), line }]
    } catch {
      return []
    }
  })

/** the versions of the applied reloads so far, in order (from "config reloaded" lines) */
export const reloadedTo = (p: HookstreamProcess): Array<string> =>
  logLines(p)
    .filter((l) => l.msg === "config reloaded")
    .map((l) => String(l.to))

export interface ConsoleConfig {
  readonly version: string
  readonly generation: number
  readonly last_rejected: { readonly why: string; readonly problems: ReadonlyArray<string> } | null
}

/** `config` of the console's streams view (open on loopback without a token) */
export const consoleConfig = async (p: HookstreamProcess): Promise<ConsoleConfig> => {
  const response = await fetch(`${p.opsUrl()}/console/api/streams`, { signal: AbortSignal.timeout(5_000) })
  if (response.status !== 200) throw new Error(`/console/api/streams answered ${response.status}`)
  return ((await response.json()) as { readonly config: ConsoleConfig }).config
}

/** hookstream_config_reloads_total{component="processor",result} on /metrics */
export const reloads = async (p: HookstreamProcess, result: string): Promise<number> =>
  metricSum(await p.metrics(), "hookstream_config_reloads_total", ['component="processor"', `result="${result}"`])

/** the event id each request to `receiver` carried (the payload's `id`) */
export const idsAt = (receiver: RecordingServer): Array<string> =>
  receiver.requests.map((r) => String((JSON.parse(r.body.toString("utf8")) as { id: unknown }).id))

export const countBy = (ids: ReadonlyArray<string>): Map<string, number> => {
  const out = new Map<string, number>()
  for (const id of ids) out.set(id, (out.get(id) ?? 0) + 1)
  return out
}
