/**
 * What loading the stream configuration produces: one frozen `StreamDefinition` per stream
 * file and the decoded connections. Built once at startup (and by `hookstream validate`),
 * shared read-only by every event; nothing downstream copies or mutates it.
 *
 * Naming: computed structures are camelCase (`plan`, `maxPayloadBytes`); sections that
 * mirror the file (`ingress`, connection entries, module configs) keep the file's
 * snake_case keys, with durations decoded to milliseconds and secrets to `Redacted`.
 */
import type { ChainPlan } from "../domain/ChainPlan.ts"
import type { PayloadContract } from "../domain/PayloadContract.ts"
import type { ConnectionType } from "../modules/registry.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import type { IngressConfig } from "./Ingress.ts"
import type { StreamTest } from "./StreamTest.ts"

export interface RedactionSettings {
  /** extra key names to redact, beyond the built-in credential names */
  readonly fields: ReadonlyArray<string>
  /** extra key-name patterns (regular expression sources, case-insensitive) */
  readonly patterns: ReadonlyArray<string>
  /** redact the whole payload in records and logs */
  readonly payload: boolean
}

export interface StreamDefinition {
  readonly plan: ChainPlan
  /** the file it was loaded from, as given */
  readonly file: string
  readonly description?: string
  readonly maxPayloadBytes: number
  readonly redaction: RedactionSettings
  readonly ingress?: IngressConfig
  /** `payload_schema`, compiled */
  readonly payloadContract?: PayloadContract
  readonly tests: ReadonlyArray<StreamTest>
}

/** A decoded connection entry: `type`, the common guard fields, then the type's own fields. */
export interface Connection {
  readonly type: ConnectionType
  readonly max_in_flight: number
  readonly max_queued?: number
  readonly circuit_breaker: { readonly failure_threshold: number; readonly cooldown: number }
  readonly [field: string]: unknown
}

/** By name. A Map, so names from untrusted input (`__proto__`) can never reach Object.prototype. */
export type Connections = ReadonlyMap<string, Connection>

export interface LoadedConfig {
  /** in file order */
  readonly streams: ReadonlyArray<StreamDefinition>
  readonly byWebhookId: ReadonlyMap<string, StreamDefinition>
  readonly connections: Connections
  /** non-fatal notes (legacy values clamped into limits, ignored legacy keys) */
  readonly warnings: ReadonlyArray<ConfigIssue>
  /** content hash of the files it was loaded from (configVersion.ts): in result records and /metrics */
  readonly version: string
  /** every file it was loaded from (what a reload watches) */
  readonly files: ReadonlyArray<string>
}
