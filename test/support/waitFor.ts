export interface WaitForOptions {
  /** give up after this long; default 15 s */
  readonly timeoutMs?: number
  /** pause between checks; default 50 ms */
  readonly intervalMs?: number
  /** what we were waiting for, for the timeout message; a function is read at timeout */
  readonly description?: string | (() => string)
}

/**
 * Polls `predicate` until it returns true. A predicate that throws counts as "not yet" (a topic
 * not created yet, a coordinator still loading); its last error is in the timeout message.
 * Tests wait on observable state with this, never on fixed sleeps.
 */
export const waitFor = async (
  predicate: () => boolean | Promise<boolean>,
  { timeoutMs = 15_000, intervalMs = 50, description = "condition" }: WaitForOptions = {}
): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      if (await predicate()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() >= deadline) {
      const cause = lastError === undefined ? "" : ` (last error: ${String(lastError)})`
      const what = typeof description === "function" ? description() : description
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
