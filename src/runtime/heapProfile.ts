/**
 * How eagerly V8 collects the old generation. By default V8 lets the heap grow to up to four
 * times what survived the last full collection before collecting again, and on a machine with
 * plenty of memory it does: the processor's live set is ~70 MB, and draining a backlog it peaked
 * at ~240 MB of heap and ~380 MB RSS, almost all of it garbage awaiting collection
 * (`npm run bench`, backlog_drain). A growing factor of 2 (`--heap-growing-percent=100`) keeps
 * the peak at ~250-260 MB RSS for about 5% more CPU per event; 1.5 gave ~230 MB but cost ~30%.
 *
 * Applied once at start by every hookstream process (`runMain`). HOOKSTREAM_HEAP_GROWING_PERCENT
 * picks another value, `0` leaves V8's default; a `--heap-growing-percent` given to node itself
 * wins (NODE_OPTIONS cannot carry V8 flags of this kind). V8 reads the flag each time it sizes
 * the heap after a collection, so setting it at run time takes effect from the next one.
 */
import { setFlagsFromString } from "node:v8"

export const DEFAULT_HEAP_GROWING_PERCENT = 100

const FLAG = "--heap-growing-percent"

let applied: number | undefined

/** The percent in effect after the call (`undefined`: V8's default, or the operator's own flag). */
export const applyHeapProfile = (env: NodeJS.ProcessEnv = process.env): number | undefined => {
  if (applied !== undefined) return applied
  const own = process.execArgv.some((a) => a.startsWith(FLAG))
  if (own) return undefined
  const raw = env["HOOKSTREAM_HEAP_GROWING_PERCENT"]
  const percent = raw === undefined || raw.trim() === "" ? DEFAULT_HEAP_GROWING_PERCENT : Number(raw)
  if (!Number.isInteger(percent) || percent <= 0) return undefined
  setFlagsFromString(`${FLAG}=${percent}`)
  applied = percent
  return percent
}
