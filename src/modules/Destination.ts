/**
 * The one interface every destination implements, and the spec a destination file
 * exports so streams can be validated (config + connection schemas) and clients built.
 *
 * Contract (in the spirit of Redpanda Connect's output contract):
 * - `send` resolves once the sink has durably accepted the delivery (an HTTP 2xx, a
 *   broker ack, a committed row), or fails with a `DestinationError` whose `retryable`
 *   is honest. It never throws and never fails with anything else.
 * - `send` is interruptible: interruption must reach the I/O (abort the request,
 *   release the pooled client), so an interrupted module causes no later side effect.
 * - Clients are built once per connection by `make` inside a Scope, shared by every
 *   event, and released when that Scope closes. Nothing is created per delivery.
 * - The sink's own dedupe is keyed by `idempotencyKey` where one exists.
 *
 * This file imports no driver: the engine depends on it.
 */
import type { Effect, Schema, Scope } from "effect"
import type { DestinationError } from "../domain/DestinationError.ts"
import type { ModuleName } from "../domain/ModuleName.ts"
import type { Redactor } from "../domain/redact.ts"

export interface Delivery<C = unknown> {
  readonly eventId: string
  readonly webhookId: string
  readonly moduleId: string
  /** `<webhook_id>:<event_id>:<module id>` (domain/IdempotencyKey.ts): stable across retries, redeliveries and replays */
  readonly idempotencyKey: string
  /** 1-based attempt number within this chain run */
  readonly attempt: number
  /**
   * The payload as the producer sent it, shared and read-only (never copied): the decoded
   * JSON value, or, when `payloadEncoding` is `base64`, the base64 string of raw bytes. With
   * the step's `transform:`, the transform's output (JSON, and may share parts of the payload).
   */
  readonly payload: unknown
  readonly payloadEncoding: "json" | "base64"
  /** the event's own headers (from the envelope), read-only */
  readonly headers: Readonly<Record<string, string>>
  /** the Kafka key of the input record, when it had one */
  readonly key?: string
  /** the step's `headers:` rendered for this event (http only; names lower-cased) */
  readonly templatedHeaders?: Readonly<Record<string, string>>
  /** W3C trace context to propagate to the sink */
  readonly traceparent?: string
  /** this module's config, decoded and frozen when the stream loaded */
  readonly config: C
}

/** What the sink told us on success; `detail` is short and safe to publish (offset, status…). */
export interface Receipt {
  readonly detail?: string
}

export interface Destination<C = unknown> {
  // method syntax on purpose: a Destination<HttpConfig> must fit where a Destination is expected
  send(delivery: Delivery<C>): Effect.Effect<Receipt, DestinationError>
  /**
   * `send` does its work there and then: no I/O, no timer, nothing to wait for, and it does not
   * fail (but by a defect). The engine then runs the step inline: no concurrency slot, attempt
   * timeout, retry or circuit (there is nothing for them to bound), and a chain of such steps
   * without the deadline's timer. The log destination is one.
   */
  readonly immediate?: true
}

/** Connection types named in the connections file (`type:` field). */
export type ConnectionType = "http" | "kafka" | "postgresql" | "mysql" | "redis" | "rabbitmq" | "mqtt" | "nats"

/**
 * What stream validation needs of a module: its config schema and its connection.
 * Loading streams uses only this part, so `hookstream validate` opens no sockets.
 */
export interface ModuleSchemas<C = unknown, K = unknown> {
  readonly name: ModuleName
  /** one line, shown by `hookstream validate --help` and in generated docs */
  readonly description: string
  /** decodes the `config:` block of a chain step (unknown keys rejected) */
  readonly config: Schema.Decoder<C>
  /**
   * The connection this module uses: its type in the connections file, the schema of that
   * entry, and whether a step must name one.
   */
  readonly connection?: {
    readonly type: ConnectionType
    readonly schema: Schema.Decoder<K>
    readonly required: boolean
  }
}

/** What a destination may know of the stream it serves (see `DestinationSpec.forStream`). */
export interface StreamSettings {
  readonly webhookId: string
  /** the stream's redaction: the built-in secret names plus its own `redaction` fields and patterns */
  readonly redactor: Redactor
}

export interface DestinationSpec<C = unknown, K = unknown> extends ModuleSchemas<C, K> {
  /** builds the shared client for one connection (or for none); released with the Scope */
  make(connection: K | undefined): Effect.Effect<Destination<C>, DestinationError, Scope.Scope>
  /**
   * The shared client as one stream's steps use it, for modules whose output depends on the
   * stream's own settings (the log step redacts with the stream's `redaction`). Called once per
   * stream when it is bound, never per event; absent: the shared client as is.
   */
  forStream?(destination: Destination<C>, stream: StreamSettings): Destination<C>
}
