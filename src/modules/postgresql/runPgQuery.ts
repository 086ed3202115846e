/**
 * One parameterized statement on a pooled `pg` client, abortable down to the server.
 *
 * On abort:
 * - while waiting for a pooled client: stop waiting; a client handed over later goes
 *   straight back to the pool (it never ran anything for us);
 * - while the statement runs: send a CancelRequest for that backend (a statement blocked on
 *   a lock would otherwise still commit after we gave up), then destroy the client once the
 *   statement has ended, or after CANCEL_GRACE_MS if it does not: a client that was
 *   mid-statement never goes back to the pool.
 */
import { connect as netConnect } from "node:net"
import { DatabaseError, type Pool, type PoolClient, Query, type QueryResult } from "pg"
import { abortedError } from "../abortable.ts"

/** how long a cancelled statement gets to end before its connection is destroyed anyway */
const CANCEL_GRACE_MS = 1_000

const acquire = (pool: Pool, signal: AbortSignal): Promise<PoolClient> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(abortedError())
    let abandoned = false
    const onAbort = () => {
      abandoned = true
      reject(abortedError())
    }
    signal.addEventListener("abort", onAbort, { once: true })
    pool.connect().then(
      (client) => {
        signal.removeEventListener("abort", onAbort)
        if (abandoned) client.release()
        else resolve(client)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })

/** the backend key pg keeps from BackendKeyData (not in its typings) */
const backendKey = (client: PoolClient): { readonly pid: number; readonly secret: number } | undefined => {
  const pid: unknown = Reflect.get(client, "processID")
  const secret: unknown = Reflect.get(client, "secretKey")
  return typeof pid === "number" && typeof secret === "number" ? { pid, secret } : undefined
}

/**
 * The protocol's CancelRequest on a fresh socket (pg's own `Client#cancel` leaves its socket's
 * errors unhandled). Best effort and bounded: the server closes the socket once it has read it.
 */
const sendCancelRequest = (client: PoolClient): Promise<void> =>
  new Promise((resolve) => {
    const key = backendKey(client)
    if (key === undefined) return resolve()
    const socket = client.host.startsWith("/")
      ? netConnect(`${client.host}/.s.PGSQL.${client.port}`)
      : netConnect(client.port, client.host)
    const timer = setTimeout(() => socket.destroy(), CANCEL_GRACE_MS)
    socket.on("error", () => socket.destroy())
    socket.once("connect", () => {
      const message = Buffer.alloc(16)
      message.writeInt32BE(16, 0)
      message.writeInt32BE(80877102, 4)
      message.writeInt32BE(key.pid | 0, 8)
      message.writeInt32BE(key.secret | 0, 12)
      socket.end(message)
    })
    socket.once("close", () => {
      clearTimeout(timer)
      resolve()
    })
  })

const statement = (
  client: PoolClient,
  text: string,
  values: ReadonlyArray<unknown>,
  signal: AbortSignal
): Promise<QueryResult> =>
  new Promise((resolve, reject) => {
    let grace: ReturnType<typeof setTimeout> | undefined
    const onAbort = () => {
      void sendCancelRequest(client)
      // if the cancel does not end the statement, ending the connection does
      grace = setTimeout(() => reject(abortedError()), CANCEL_GRACE_MS)
    }
    const query = new Query(text, [...values], (error, result) => {
      signal.removeEventListener("abort", onAbort)
      clearTimeout(grace)
      if (error !== undefined && error !== null) reject(error)
      else resolve(result as unknown as QueryResult)
    })
    signal.addEventListener("abort", onAbort, { once: true })
    client.query(query)
  })

export const runPgQuery = async (
  pool: Pool,
  text: string,
  values: ReadonlyArray<unknown>,
  signal: AbortSignal
): Promise<QueryResult> => {
  const client = await acquire(pool, signal)
  if (signal.aborted) {
    client.release()
    throw abortedError()
  }
  let result: QueryResult
  try {
    result = await statement(client, text, values, signal)
  } catch (error) {
    // destroyed rather than pooled: its state after an abort or a failed statement
    // that broke the connection is not worth trusting for a reconnect's cost
    client.release(signal.aborted || !isServerError(error) ? true : undefined)
    throw error
  }
  client.release()
  return result
}

/** an error the server reported about the statement: the connection itself is fine */
const isServerError = (error: unknown): boolean =>
  error instanceof DatabaseError && !(error.code ?? "08").startsWith("08") && !(error.code ?? "").startsWith("57P")
