/**
 * The streams the ingress serves for a config: each enabled `ingress:` section compiled, in
 * file order. On a reload the previous compilation of the same stream hands over the state
 * worth keeping (see `CarriedState`), and the difference is reported for the log: streams
 * added, removed, and those now served without any authentication that were not before.
 */
import type { LoadedConfig } from "../config/StreamDefinition.ts"
import { compileStreamIngress, type StreamIngress } from "./streamIngress.ts"

export interface ServedStreams {
  readonly streams: ReadonlyArray<StreamIngress>
  readonly added: ReadonlyArray<string>
  readonly removed: ReadonlyArray<string>
  /** served without authentication, and were not so before (new, or their auth was removed): worth a warning */
  readonly newlyOpen: ReadonlyArray<string>
}

export const compileServedStreams = (
  config: LoadedConfig,
  now: () => number,
  previous: ReadonlyArray<StreamIngress> = []
): ServedStreams => {
  const before = new Map(previous.map((s) => [s.webhookId, s]))
  const streams = config.streams.flatMap((definition): Array<StreamIngress> => {
    const compiled = compileStreamIngress(definition, now, before.get(definition.plan.webhookId)?.carried)
    return compiled === undefined ? [] : [compiled]
  })
  const ids = new Set(streams.map((s) => s.webhookId))
  return {
    streams,
    added: streams.filter((s) => !before.has(s.webhookId)).map((s) => s.webhookId),
    removed: previous.filter((s) => !ids.has(s.webhookId)).map((s) => s.webhookId),
    newlyOpen: streams
      .filter((s) => !s.authenticated && before.get(s.webhookId)?.authenticated !== false)
      .map((s) => s.webhookId)
  }
}
