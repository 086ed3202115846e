/**
 * Shared helpers for config tests: stream documents as plain objects (serialised to JSON
 * files in memory), a connections file with one entry per type, and short views of issues.
 */
import { stringify } from "yaml"
import type { ConfigIssue } from "../../../src/config/ConfigIssue.ts"
import type { Env } from "../../../src/config/EnvSubstitution.ts"
import { type Validation, validateSources } from "../../../src/config/loadSources.ts"
import type { StreamDefinition } from "../../../src/config/StreamDefinition.ts"

export const connections = {
  main_db: { type: "postgresql", host: "127.0.0.1", database: "test", user: "postgres", password: "pw" },
  ledger: { type: "mysql", host: "127.0.0.1", database: "test", user: "root", password: "pw" },
  cache: { type: "redis", host: "127.0.0.1" },
  kafka_local: { type: "kafka", brokers: ["127.0.0.1:9092"] },
  broker: { type: "rabbitmq", host: "127.0.0.1", user: "guest", password: "guest" },
  devices: { type: "mqtt", host: "127.0.0.1" },
  bus: { type: "nats", servers: "nats://127.0.0.1:4222" },
  crm: { type: "http", headers: { authorization: "Bearer t" } }
}

export interface Options {
  readonly connections?: unknown
  readonly env?: Env
}

/** Validates stream documents (objects → JSON files `streams/<n>.json`, strings → YAML files). */
export const validate = (streams: unknown | ReadonlyArray<unknown>, options: Options = {}): Validation => {
  const list = Array.isArray(streams) ? streams : [streams]
  return validateSources({
    streams: list.map((doc, index) =>
      typeof doc === "string"
        ? { path: `streams/s${index}.yaml`, text: doc }
        : { path: `streams/s${index}.json`, text: JSON.stringify(doc) }
    ),
    ...(options.connections === null
      ? {}
      : { connections: { path: "streams/connections.yaml", text: stringify(options.connections ?? connections) } }),
    env: options.env ?? {}
  })
}

/** `path: message` lines, the way a person reads them. */
export const problems = (validation: Validation): Array<string> =>
  validation.issues.map((issue: ConfigIssue) => `${issue.path}: ${issue.message}`)

/** The single stream of a valid validation (fails the test otherwise). */
export const only = (validation: Validation): StreamDefinition => {
  const stream = validation.config?.streams[0]
  if (stream === undefined) throw new Error(`expected a valid stream, got:\n${problems(validation).join("\n")}`)
  return stream
}

/** A minimal valid stream with `chain`, plus top-level overrides. */
export const stream = (chain: ReadonlyArray<unknown>, top: Record<string, unknown> = {}) => ({ id: "s", chain, ...top })

export const logs = (n: number) => Array.from({ length: n }, () => ({ module: "log" }))
