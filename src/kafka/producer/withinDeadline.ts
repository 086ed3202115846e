/**
 * A client call with a deadline, for calls that may never settle: a Kafka client retrying
 * without limit inside (producerSettings.ts) against a broker that died can wedge for good.
 * The call is abandoned, not stopped (a promise cannot be), so the caller must also stop
 * using the client that made it: the producers replace it.
 */
const NAME = "DeadlinePassed"

/** the rejection of a call that did not settle in time */
export const isDeadlinePassed = (e: unknown): e is Error => e instanceof Error && e.name === NAME

export const withinDeadline = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new Error(`${what}: no answer within ${ms} ms (the client is replaced)`)
      error.name = NAME
      reject(error)
    }, ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })
