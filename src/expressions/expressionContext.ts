/**
 * The one context object every expression of an event reads, built once per event and only for
 * streams that have expressions. It references the event's values; nothing is copied, except
 * headers whose names are not all lower case (producers other than the ingress may send them so).
 */
import type { ExpressionContext } from "../domain/Expression.ts"

export interface ContextSource {
  readonly payload: unknown
  readonly headers: Readonly<Record<string, string>>
  readonly webhookId: string
  readonly eventId: string
  readonly key?: string | undefined
  readonly receivedAt?: string | undefined
  readonly replayCount?: number | undefined
}

const lowerCased = (headers: Readonly<Record<string, string>>): Readonly<Record<string, string>> => {
  for (const name in headers) {
    if (name !== name.toLowerCase()) {
      const out: Record<string, string> = {}
      for (const [n, v] of Object.entries(headers)) out[n.toLowerCase()] = v
      return out
    }
  }
  return headers
}

export const expressionContext = (source: ContextSource): ExpressionContext => ({
  payload: source.payload,
  headers: lowerCased(source.headers),
  webhook_id: source.webhookId,
  event: {
    id: source.eventId,
    key: source.key ?? null,
    received_at: source.receivedAt ?? null,
    replay_count: source.replayCount ?? 0
  }
})
