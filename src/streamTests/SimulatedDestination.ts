/**
 * A destination whose behaviour is scripted per module id: used by the engine's own tests
 * and by `hookstream test` (a stream's inline tests). It does no I/O; time passes through
 * Effect's Clock, so tests drive it with TestClock.
 */
import { Effect } from "effect"
import { type DestinationErrorReason, destinationError } from "../domain/DestinationError.ts"
import type { Delivery, Destination } from "../modules/Destination.ts"

export type Behaviour =
  | { readonly _tag: "succeed"; readonly delayMs?: number }
  | {
      readonly _tag: "fail"
      readonly retryable: boolean
      readonly reason?: DestinationErrorReason
      readonly delayMs?: number
      readonly retryAfterMs?: number
    }
  | { readonly _tag: "hang" }
  /** fails (retryable) on the first `failures` attempts of each event, then succeeds */
  | {
      readonly _tag: "flaky"
      readonly failures: number
      readonly reason?: DestinationErrorReason
      readonly delayMs?: number
    }

export const succeed = (delayMs?: number): Behaviour =>
  delayMs === undefined ? { _tag: "succeed" } : { _tag: "succeed", delayMs }
export const fail = (
  retryable: boolean,
  options: Omit<Extract<Behaviour, { _tag: "fail" }>, "_tag" | "retryable"> = {}
): Behaviour => ({
  _tag: "fail",
  retryable,
  ...options
})
export const hang: Behaviour = { _tag: "hang" }
export const flaky = (failures: number, delayMs?: number): Behaviour =>
  delayMs === undefined ? { _tag: "flaky", failures } : { _tag: "flaky", failures, delayMs }

/** What the simulated sinks saw; tests assert on it. */
export interface Recorder {
  /** every attempt that started: `<module id>#<attempt>` */
  readonly started: Array<string>
  /** side effects that completed (a succeeded delivery): module ids, in completion order */
  readonly effects: Array<string>
  /** attempts interrupted mid-flight: module ids */
  readonly interrupted: Array<string>
  /** idempotency keys seen, in order */
  readonly keys: Array<string>
  /** per module id, the body and templated headers of its latest attempt */
  readonly received: Map<
    string,
    { readonly body: unknown; readonly headers: Readonly<Record<string, string>> | undefined }
  >
  /** attempts currently in flight */
  inFlight: number
  maxInFlight: number
}

export const makeRecorder = (): Recorder => ({
  started: [],
  effects: [],
  interrupted: [],
  keys: [],
  received: new Map(),
  inFlight: 0,
  maxInFlight: 0
})

const behave = (behaviour: Behaviour, delivery: Delivery) => {
  switch (behaviour._tag) {
    case "succeed":
      return Effect.sleep(behaviour.delayMs ?? 0).pipe(Effect.as({ detail: "simulated" }))
    case "hang":
      return Effect.never
    case "fail": {
      const options =
        behaviour.retryAfterMs === undefined
          ? { retryable: behaviour.retryable }
          : { retryable: behaviour.retryable, retryAfterMs: behaviour.retryAfterMs }
      return Effect.sleep(behaviour.delayMs ?? 0).pipe(
        Effect.andThen(Effect.fail(destinationError(behaviour.reason ?? "unavailable", "simulated failure", options)))
      )
    }
    case "flaky":
      return Effect.sleep(behaviour.delayMs ?? 0).pipe(
        Effect.andThen(
          delivery.attempt <= behaviour.failures
            ? Effect.fail(
                destinationError(behaviour.reason ?? "unavailable", `simulated failure ${delivery.attempt}`, {
                  retryable: true
                })
              )
            : Effect.succeed({ detail: "simulated" })
        )
      )
  }
}

export const simulatedDestination = (
  behaviourFor: (moduleId: string) => Behaviour,
  recorder: Recorder = makeRecorder()
): Destination => ({
  send: (delivery) =>
    Effect.suspend(() => {
      recorder.started.push(`${delivery.moduleId}#${delivery.attempt}`)
      recorder.keys.push(delivery.idempotencyKey)
      recorder.received.set(delivery.moduleId, { body: delivery.payload, headers: delivery.templatedHeaders })
      recorder.inFlight++
      recorder.maxInFlight = Math.max(recorder.maxInFlight, recorder.inFlight)
      return behave(behaviourFor(delivery.moduleId), delivery)
    }).pipe(
      Effect.tap(() => Effect.sync(() => recorder.effects.push(delivery.moduleId))),
      Effect.onInterrupt(() => Effect.sync(() => recorder.interrupted.push(delivery.moduleId))),
      Effect.ensuring(Effect.sync(() => recorder.inFlight--))
    )
})
