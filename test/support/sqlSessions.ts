/**
 * Short-lived sessions of a test's own on the machine's PostgreSQL and MariaDB (one per call,
 * closed after), so no pooled socket of the test outlives it and skews handle counts.
 */
import mysql from "mysql2/promise"
import pg from "pg"
import { serviceAddress } from "./services.ts"

export const postgresLogin = () => {
  const server = serviceAddress("postgres")
  return {
    host: server.host,
    port: server.port,
    database: server.database,
    user: server.username,
    ...(server.password === "" ? {} : { password: server.password })
  }
}

export const mariadbLogin = () => {
  const server = serviceAddress("mariadb")
  return {
    host: server.host,
    port: server.port,
    database: server.database,
    user: server.username,
    ...(server.password === "" ? {} : { password: server.password })
  }
}

export const withPgClient = async <A>(use: (client: pg.Client) => Promise<A>): Promise<A> => {
  const client = new pg.Client(postgresLogin())
  await client.connect()
  try {
    return await use(client)
  } finally {
    await client.end()
  }
}

/** DATETIME values read as UTC, as the mysql destination writes them */
export const withMariadbSession = async <A>(use: (session: mysql.Connection) => Promise<A>): Promise<A> => {
  const session = await mysql.createConnection({ ...mariadbLogin(), timezone: "Z" })
  try {
    return await use(session)
  } finally {
    await session.end()
  }
}

let tables = 0
/** a table name no other test (or run) uses */
export const uniqueTable = (prefix: string): string => `${prefix}_${process.pid}_${Date.now()}_${++tables}`
