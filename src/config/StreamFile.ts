/**
 * The stream file's shape (`streams/<id>.yaml`), as Effect Schemas. Two instances share
 * one definition: the loading schema keeps each step's `module`/`config` open (the loader
 * resolves the module, then decodes `config` with that module's schema, so every step gets
 * precise errors), and the documented schema lists every module's step variant for the
 * generated JSON Schema. Cross-field rules (chain limits by execution, timeouts against
 * the chain timeout, ids, connections) live in the loader.
 */
import { Schema } from "effect"
import { moduleAliases, moduleNames, moduleSchemas } from "../modules/registry.ts"
import { intBetween, numberBetween, rule, text, withDefault } from "../schema/Checks.ts"
import { Duration, formatDuration } from "../schema/Duration.ts"
import { ConnectionName, HeaderName, ModuleId, StreamId } from "../schema/Identifiers.ts"
import { ByteSize, MiB } from "./ByteSize.ts"
import { Ingress } from "./Ingress.ts"
import { StreamTestFile } from "./StreamTest.ts"

export const limits = {
  sequentialChain: 20,
  parallelChain: 10,
  chainTimeoutMs: 15 * 60_000,
  defaultChainTimeoutMs: 30_000,
  defaultStepTimeoutMs: 10_000,
  maxDelayMs: 30_000,
  maxPayloadBytes: 10 * MiB,
  defaultPayloadBytes: MiB
} as const

export const Retry = Schema.Struct({
  max_attempts: withDefault(intBetween(1, 10).annotate({ description: "Attempts including the first" }), 3),
  initial_delay: withDefault(Duration({ max: limits.maxDelayMs }), "200ms"),
  max_delay: withDefault(Duration({ max: limits.maxDelayMs, description: "Cap on one backoff delay" }), "5s"),
  multiplier: withDefault(numberBetween(1, 10), 2),
  jitter: withDefault(Schema.Boolean, true)
}).check(
  rule<{ readonly initial_delay: number; readonly max_delay: number }>((retry) =>
    retry.initial_delay > retry.max_delay
      ? `initial_delay ${formatDuration(retry.initial_delay)} is greater than max_delay ${formatDuration(retry.max_delay)}`
      : undefined
  )
)
export type RetryFile = typeof Retry.Type

const RegexString = Schema.String.check(
  rule<string>((pattern) => {
    if (pattern.length === 0 || pattern.length > 200) return "expected a regular expression of 1 to 200 characters"
    try {
      new RegExp(pattern, "i")
      return undefined
    } catch (error) {
      return `invalid regular expression: ${error instanceof Error ? error.message : String(error)}`
    }
  })
)

export const Redaction = Schema.Struct({
  /** extra key names to redact, compared without case or separators (`card-number` masks `cardNumber`), beyond the built-in secret names */
  fields: withDefault(Schema.Array(text(128)), []),
  /** extra key-name patterns (regular expressions, case-insensitive) */
  patterns: withDefault(Schema.Array(RegexString), []),
  /** redact the whole payload in records and logs (for payloads that are secret as a whole) */
  payload: withDefault(Schema.Boolean, false)
})

const celCondition = (description: string) =>
  text(4_000).annotate({ description: `${description} (CEL, see docs/expressions.md)` })

/** The fields of one chain step, given its `module` and `config` schemas. */
const stepFields = <M extends Schema.Top, C extends Schema.Top, K extends Schema.Top>(
  module: M,
  config: C,
  connection: K
) => ({
  module,
  /** unique within the chain; default `<module>-<index>` (0-based) */
  id: Schema.optionalKey(ModuleId),
  connection,
  config: Schema.optionalKey(config),
  retry: withDefault(Retry, {}),
  /** per-attempt timeout; default min(10s, chain timeout) */
  timeout: Schema.optionalKey(Duration({ min: 1, max: limits.chainTimeoutMs, description: "Per-attempt timeout" })),
  when: Schema.optionalKey(
    celCondition("Run this step only when true; false: the step is skipped (reason condition_false)")
  ),
  transform: Schema.optionalKey(
    text(4_000).annotate({
      description: "The body this step's destination receives instead of the payload (JSONata, see docs/expressions.md)"
    })
  ),
  headers: Schema.optionalKey(
    Schema.Record(HeaderName, text(4_000)).annotate({
      description: "http only: headers templated from the event, `{{ <JSONata> }}` placeholders in literal text"
    })
  )
})

// Only "at least one" here: the maximum depends on `execution`, so the loader reports it
// (20 sequential, 10 parallel); the JSON Schema documents the larger bound.
const chainLength = rule<ReadonlyArray<unknown>>(
  (chain) => (chain.length === 0 ? "a chain needs at least one module" : undefined),
  { jsonSchema: { minItems: 1, maxItems: limits.sequentialChain } }
)

const streamFields = <S extends Schema.Top, T extends Schema.Top>(step: S, test: T) => ({
  id: StreamId.annotate({ description: "The webhook_id this stream answers" }),
  description: Schema.optionalKey(text(500)),
  filter: Schema.optionalKey(
    celCondition("Run the chain only when true; false: the result's status is filtered, no dead letter")
  ),
  execution: withDefault(Schema.Literals(["sequential", "parallel"]), "sequential"),
  continue_on_error: withDefault(Schema.Boolean, true),
  timeout: withDefault(
    Duration({ min: 100, max: limits.chainTimeoutMs, description: "Whole-chain deadline (modules, retries, backoff)" }),
    "30s"
  ),
  /** parallel only: modules in flight at once (default: all of them) */
  max_parallel: Schema.optionalKey(intBetween(1, limits.parallelChain)),
  max_payload_size: withDefault(ByteSize(1, limits.maxPayloadBytes, "Largest payload accepted"), "1MiB"),
  redaction: withDefault(Redaction, {}),
  payload_schema: Schema.optionalKey(
    Schema.Union([
      text(1_000).annotate({ description: "A JSON Schema file (.json), relative to this stream file's directory" }),
      Schema.Record(Schema.String, Schema.Unknown).annotate({ description: "An inline JSON Schema" })
    ]).annotate({
      description:
        "The payload's contract (JSON Schema draft 2020-12, with formats): the ingress answers 422 to a payload that does not match, the processor dead-letters one as invalid_payload"
    })
  ),
  ingress: Schema.optionalKey(Ingress),
  chain: Schema.Array(step).check(chainLength),
  tests: withDefault(Schema.Array(test), [])
})

/** Loading form: steps and tests are decoded one by one by the loader. */
export const StreamFileLoading = Schema.Struct(streamFields(Schema.Unknown, Schema.Unknown))
export type StreamFileLoading = typeof StreamFileLoading.Type

/** One step with its module and config left open; `config` is decoded by the module's schema. */
export const StepLoading = Schema.Struct(stepFields(Schema.String, Schema.Unknown, Schema.optionalKey(ConnectionName)))
export type StepLoading = typeof StepLoading.Type

/** Documented form: every module's step variant, for the generated JSON Schema. */
export const StreamFileDocumented = Schema.Struct(
  streamFields(
    Schema.Union(
      moduleNames.map((name) => {
        const schemas = moduleSchemas[name]
        const names = [name, ...Object.keys(moduleAliases).filter((alias) => moduleAliases[alias] === name)]
        const connection =
          schemas.connection === undefined
            ? Schema.optionalKey(Schema.Never)
            : schemas.connection.required
              ? ConnectionName
              : Schema.optionalKey(ConnectionName)
        return Schema.Struct(
          stepFields(Schema.Literals(names).annotate({ description: schemas.description }), schemas.config, connection)
        )
      })
    ),
    StreamTestFile
  )
).annotate({ title: "hookstream stream definition", description: "One stream per file in streams/" })
