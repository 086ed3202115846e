/**
 * The client behind a producer, replaceable: a client that is stuck (a transaction it cannot
 * end, a send or a step that never answers) is closed in the background — closing a wedged
 * client may itself never finish — and a fresh one connects in the background, retried until
 * it does. Until then `connected()` is false and the producer fails its calls at once,
 * retriable. Both producers (Producer.ts, TransactionalProducer.ts) keep their client here.
 */
import { Effect, Schedule, type Scope } from "effect"
import { type KafkaError, toKafkaError } from "../KafkaError.ts"
import type { ProducerDriver } from "./ProducerDriver.ts"

/** how a producer makes its client: the kit's `makeDriver` (tests: a client that wedges) */
export type DriverFactory = () => ProducerDriver

export interface ReplaceableDriver {
  readonly current: () => ProducerDriver
  readonly connected: () => boolean
  /** connects the current client (one attempt); the caller decides whether to retry */
  readonly connect: Effect.Effect<void, KafkaError>
  /** a fresh client in place of the current one, connected in the background */
  readonly replace: Effect.Effect<void>
}

const reconnectSchedule = Schedule.min([Schedule.exponential("200 millis"), Schedule.spaced("5 seconds")])

/** The current client is closed when the enclosing Scope closes. */
export const makeReplaceableDriver = (newDriver: DriverFactory): Effect.Effect<ReplaceableDriver, never, Scope.Scope> =>
  Effect.gen(function* () {
    let driver = newDriver()
    let connected = false
    const scope = yield* Effect.scope
    yield* Effect.addFinalizer(() => Effect.promise(() => driver.disconnect().catch(() => undefined)))

    const connect = Effect.suspend(() => {
      const current = driver
      return Effect.tryPromise({
        try: () => current.connect(),
        catch: (e) => toKafkaError("producer.connect", e)
      }).pipe(
        Effect.tap(() =>
          Effect.sync(() => {
            if (current === driver) connected = true
          })
        )
      )
    })

    const replace = Effect.suspend(() => {
      const old = driver
      driver = newDriver()
      connected = false
      void old.disconnect().catch(() => undefined)
      return connect.pipe(
        Effect.tapError((e) => Effect.logWarning("producer cannot reconnect to Kafka yet; retrying", e.message)),
        Effect.retry(reconnectSchedule),
        Effect.ignore,
        Effect.forkIn(scope),
        Effect.asVoid
      )
    })

    return { current: () => driver, connected: () => connected, connect, replace }
  })
