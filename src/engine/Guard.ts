/**
 * Per-destination-connection protection shared by every chain that uses the connection:
 * a concurrency limit with a bounded wait (`maxInFlight` sends at once, `maxQueued` more may
 * wait for a slot; past that the destination is `congested` and the caller defers the work
 * instead of holding it in memory, so one slow sink holds at most `maxInFlight + maxQueued`
 * events of the process) and a circuit breaker (a dead sink is refused at once instead of
 * eating every chain's deadline).
 *
 * Breaker: `closed` counts consecutive failures; at `failureThreshold` it opens. While
 * `open`, calls are refused (`circuit_open`, not retried in this run: the event goes to the
 * DLQ and can be replayed). After `cooldownMs` one probe is let through (`half_open`);
 * its success closes the circuit, its failure re-opens it. Only failures that say the sink
 * is unhealthy (retryable ones: unreachable, timeout, 5xx, throttling) count: a sink that
 * answers "400 bad payload" is healthy.
 *
 * State is plain mutable data touched only synchronously from fibers of one JS thread, so
 * no locking is needed; transitions happen in `Effect.sync` blocks.
 */
import { Effect, Semaphore } from "effect"
import type { GuardPolicy } from "../domain/ChainPlan.ts"

export type CircuitState = "closed" | "open" | "half_open"

export interface GuardSnapshot {
  readonly key: string
  readonly state: CircuitState
  readonly consecutiveFailures: number
  readonly openedAt: number | undefined
  readonly maxInFlight: number
  readonly maxQueued: number
  /** sends holding one of the `maxInFlight` slots */
  readonly inFlight: number
  /** sends waiting for a slot */
  readonly queued: number
}

/** What `admit` decided for one attempt. */
export type Admission = "pass" | "probe" | "refuse"

export interface Guard {
  readonly policy: GuardPolicy
  readonly semaphore: Semaphore.Semaphore
  /** decides, at `now`, whether an attempt may go to the sink */
  admit(now: number): Admission
  /** the sink answered (success, or a non-retryable refusal that proves it is up) */
  onHealthy(admission: Admission): void
  /** the sink looked unhealthy (a retryable failure) */
  onUnhealthy(admission: Admission, now: number): void
  /** an attempt ended without a verdict (interrupted): a probe slot is freed */
  onAbandoned(admission: Admission): void
  /** `onAbandoned(admission)` as an interruption finalizer, made once per guard (not per attempt) */
  abandonedOnInterrupt(admission: Admission): () => Effect.Effect<void>
  /** every slot taken and the wait for one full: new work would only sit in memory */
  congested(): boolean
  /** while the circuit refuses: the earliest time a new attempt could be let through */
  retryAt(now: number): number
  snapshot(): GuardSnapshot
}

export const makeGuard = (policy: GuardPolicy): Guard => {
  let state: CircuitState = "closed"
  let failures = 0
  let openedAt: number | undefined
  let probeInFlight = false
  let inFlight = 0
  const semaphore = Semaphore.makeUnsafe(policy.maxInFlight)

  const abandon = (admission: Admission) => {
    if (admission === "refuse") return
    inFlight--
    if (admission === "probe") probeInFlight = false
  }
  const abandonPass = Effect.sync(() => abandon("pass"))
  const abandonProbe = Effect.sync(() => abandon("probe"))
  const onInterruptPass = () => abandonPass
  const onInterruptProbe = () => abandonProbe
  const onInterruptRefuse = () => Effect.void

  const capacity = policy.maxInFlight + policy.maxQueued

  const open = (now: number) => {
    state = "open"
    openedAt = now
    probeInFlight = false
  }

  return {
    policy,
    semaphore,
    admit(now) {
      if (state === "closed") {
        inFlight++
        return "pass"
      }
      if (state === "open" && openedAt !== undefined && now - openedAt >= policy.cooldownMs) state = "half_open"
      if (state === "half_open" && !probeInFlight) {
        probeInFlight = true
        inFlight++
        return "probe"
      }
      return "refuse"
    },
    onHealthy(admission) {
      if (admission === "refuse") return
      inFlight--
      failures = 0
      if (admission === "probe" || state !== "closed") {
        state = "closed"
        openedAt = undefined
        probeInFlight = false
      }
    },
    onUnhealthy(admission, now) {
      if (admission === "refuse") return
      inFlight--
      failures++
      if (admission === "probe") open(now)
      else if (state === "closed" && failures >= policy.failureThreshold) open(now)
    },
    onAbandoned: abandon,
    abandonedOnInterrupt: (admission) =>
      admission === "pass" ? onInterruptPass : admission === "probe" ? onInterruptProbe : onInterruptRefuse,
    congested: () => inFlight >= capacity,
    // open: when the cool-down ends; half-open with its probe out: the probe's answer is
    // awaited, look again in a while (a tenth of the cool-down, 100 ms to 1 s)
    retryAt: (now) =>
      state === "open" && openedAt !== undefined
        ? Math.max(now, openedAt + policy.cooldownMs)
        : now + Math.min(1_000, Math.max(100, policy.cooldownMs / 10)),
    snapshot: () => ({
      key: policy.key,
      state,
      consecutiveFailures: failures,
      openedAt,
      maxInFlight: policy.maxInFlight,
      maxQueued: policy.maxQueued,
      inFlight: Math.min(inFlight, policy.maxInFlight),
      queued: Math.max(0, inFlight - policy.maxInFlight)
    })
  }
}

/** One guard per key for the life of the process (or of a test). */
export interface GuardRegistry {
  /**
   * The guard of `policy.key`. `target` names what the guard protects (a fingerprint of the
   * connection's or step's settings): a reload that points the key somewhere else gets a fresh
   * guard, so a circuit the old host opened does not refuse the new one.
   */
  get(policy: GuardPolicy, target?: string): Guard
  snapshot(): ReadonlyArray<GuardSnapshot>
}

const samePolicy = (a: GuardPolicy, b: GuardPolicy): boolean =>
  a.maxInFlight === b.maxInFlight &&
  a.maxQueued === b.maxQueued &&
  a.failureThreshold === b.failureThreshold &&
  a.cooldownMs === b.cooldownMs

export const makeGuardRegistry = (): GuardRegistry => {
  const guards = new Map<string, { readonly guard: Guard; readonly target: string | undefined }>()
  return {
    get(policy, target) {
      const entry = guards.get(policy.key)
      // a reload that changes a connection's limits or target gets a fresh guard; chains bound
      // before it keep the old one until they finish (for a moment both apply, each to its own chains)
      if (entry !== undefined && entry.target === target && samePolicy(entry.guard.policy, policy)) return entry.guard
      const guard = makeGuard(policy)
      guards.set(policy.key, { guard, target })
      return guard
    },
    snapshot: () => Array.from(guards.values(), (e) => e.guard.snapshot())
  }
}
