/**
 * One statement on a pooled `mysql2` connection, abortable down to the server.
 *
 * On abort:
 * - while waiting for a pooled connection: stop waiting; a connection handed over later
 *   goes straight back to the pool (it never ran anything for us);
 * - while the statement runs: `KILL QUERY <thread>` from a separate, short-lived connection
 *   (a statement waiting on a table lock would otherwise still write after we gave up; the
 *   pool may be exhausted, so not from the pool), then destroy the connection once the
 *   statement has ended, or after KILL_GRACE_MS: a connection that was mid-statement never
 *   goes back to the pool.
 */
import {
  type ConnectionOptions,
  createConnection,
  type ExecuteValues,
  type Pool,
  type PoolConnection,
  type ResultSetHeader
} from "mysql2"
import { abortedError } from "../abortable.ts"

const KILL_GRACE_MS = 1_000

const acquire = (pool: Pool, signal: AbortSignal): Promise<PoolConnection> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError())
    let abandoned = false
    const onAbort = () => {
      abandoned = true
      reject(abortedError())
    }
    signal.addEventListener("abort", onAbort, { once: true })
    pool.getConnection((error, connection) => {
      signal.removeEventListener("abort", onAbort)
      if (error !== null) return reject(error)
      if (abandoned) connection.release()
      else resolve(connection)
    })
  })

/** Best effort and bounded: a fresh connection, KILL QUERY, close. */
const killQuery = (options: ConnectionOptions, threadId: number): Promise<void> =>
  new Promise((resolve) => {
    const killer = createConnection({ ...options, connectTimeout: KILL_GRACE_MS })
    const timer = setTimeout(() => killer.destroy(), KILL_GRACE_MS)
    killer.on("error", () => killer.destroy())
    killer.query(`KILL QUERY ${Math.trunc(threadId)}`, (error) => {
      clearTimeout(timer)
      if (error === null) killer.end()
      else killer.destroy()
      resolve()
    })
  })

const statement = (
  connection: PoolConnection,
  options: ConnectionOptions,
  text: string,
  values: ReadonlyArray<unknown>,
  signal: AbortSignal
): Promise<ResultSetHeader> =>
  new Promise((resolve, reject) => {
    let grace: ReturnType<typeof setTimeout> | undefined
    const onAbort = () => {
      void killQuery(options, connection.threadId)
      grace = setTimeout(() => reject(abortedError()), KILL_GRACE_MS)
    }
    const done = (error: unknown, result: ResultSetHeader) => {
      signal.removeEventListener("abort", onAbort)
      clearTimeout(grace)
      if (error !== null && error !== undefined) reject(error)
      else resolve(result)
    }
    signal.addEventListener("abort", onAbort, { once: true })
    // DDL goes as plain text; rows through prepared statements (true parameters)
    if (values.length === 0) connection.query<ResultSetHeader>(text, done)
    else connection.execute<ResultSetHeader>(text, values as ExecuteValues, done)
  })

export const runMysqlQuery = async (
  pool: Pool,
  options: ConnectionOptions,
  text: string,
  values: ReadonlyArray<unknown>,
  signal: AbortSignal
): Promise<number> => {
  const connection = await acquire(pool, signal)
  if (signal.aborted) {
    connection.release()
    throw abortedError()
  }
  let result: ResultSetHeader
  try {
    result = await statement(connection, options, text, values, signal)
  } catch (error) {
    // a server error about the statement leaves the connection usable; anything else
    // (abort, lost connection) does not
    if (!signal.aborted && isStatementError(error)) connection.release()
    else connection.destroy()
    throw error
  }
  connection.release()
  return result.affectedRows
}

const isStatementError = (error: unknown): boolean => {
  const errno: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "errno") : undefined
  const fatal: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "fatal") : undefined
  return typeof errno === "number" && errno >= 1000 && fatal !== true
}
