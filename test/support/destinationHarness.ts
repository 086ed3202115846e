/**
 * Driving one destination in a test: build it from raw (YAML-shaped) connection entries
 * inside a scope that always closes, send, and read a failure as the DestinationError it
 * must be.
 */
import { Cause, Effect, Exit, Schema, Scope } from "effect"
import { expect } from "vitest"
import { DestinationError } from "../../src/domain/DestinationError.ts"
import type { Delivery, Destination, DestinationSpec, Receipt } from "../../src/modules/Destination.ts"

export const withDestination = async <C, K, A>(
  spec: DestinationSpec<C, K>,
  rawConnection: unknown,
  use: (destination: Destination<C>) => Promise<A>
): Promise<A> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const schema = spec.connection?.schema
    const connection = schema === undefined ? undefined : Schema.decodeUnknownSync(schema)(rawConnection)
    const destination = await Effect.runPromise(spec.make(connection).pipe(Scope.provide(scope)))
    return await use(destination)
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** the receipt of a send that must succeed (the cause, pretty-printed, when it does not) */
export const succeeded = async <C>(destination: Destination<C>, delivery: Delivery<C>): Promise<Receipt> => {
  const exit = await Effect.runPromiseExit(destination.send(delivery))
  if (Exit.isFailure(exit)) throw new Error(Cause.pretty(exit.cause))
  return exit.value
}

/** the DestinationError of a send that must fail with one */
export const failed = async <C>(destination: Destination<C>, delivery: Delivery<C>): Promise<DestinationError> => {
  const exit = await Effect.runPromiseExit(destination.send(delivery))
  if (Exit.isSuccess(exit)) throw new Error(`expected a failure, got ${JSON.stringify(exit.value)}`)
  const error = Cause.findErrorOption(exit.cause)
  if (error._tag !== "Some") throw new Error(`expected a DestinationError, got ${Cause.pretty(exit.cause)}`)
  expect(error.value).toBeInstanceOf(DestinationError)
  return error.value
}
