/**
 * Fields every connection entry may carry, whatever its type. They feed the destination
 * guard (`GuardPolicy` in domain/ChainPlan.ts): one in-flight limit and one circuit breaker
 * per connection, shared by every stream and step that uses it.
 */
import { Schema } from "effect"
import { intBetween, rule, withDefault } from "./Checks.ts"
import { Duration } from "./Duration.ts"

export const DEFAULT_MAX_IN_FLIGHT = 64
export const DEFAULT_FAILURE_THRESHOLD = 5
export const DEFAULT_COOLDOWN_MS = 30_000

export const CircuitBreaker = Schema.Struct({
  failure_threshold: withDefault(
    intBetween(1, 1000).annotate({ description: "Consecutive failures that open the circuit" }),
    DEFAULT_FAILURE_THRESHOLD
  ),
  cooldown: withDefault(
    Duration({ min: 100, max: 3_600_000, description: "How long the circuit stays open before one probe" }),
    "30s"
  )
})

export const connectionCommonFields = {
  max_in_flight: withDefault(
    intBetween(1, 10_000).annotate({ description: "Sends in flight at once through this connection" }),
    DEFAULT_MAX_IN_FLIGHT
  ),
  max_queued: Schema.optionalKey(
    intBetween(0, 100_000).annotate({
      description:
        "Sends allowed to wait for an in-flight slot (default: max_in_flight); past that, work for this connection is deferred"
    })
  ),
  circuit_breaker: withDefault(CircuitBreaker, {})
}

/** A connection entry of one type: `type`, the common fields, then the type's own fields. */
export const connectionEntry = <T extends string, const F extends Schema.Struct.Fields>(type: T, fields: F) =>
  Schema.Struct({ type: Schema.Literal(type), ...connectionCommonFields, ...fields })

/** For types reachable by URL or by host/port: exactly one of the two forms. */
export const urlOrHost = rule<{ readonly url?: unknown; readonly host?: string }>((entry) =>
  entry.url !== undefined && entry.host !== undefined
    ? "give either url or host, not both"
    : entry.url === undefined && entry.host === undefined
      ? "needs url or host"
      : undefined
)
