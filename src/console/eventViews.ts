/**
 * The console's event search: the same lookup as `hookstream event` (src/lookup/findEvent.ts),
 * with every event and dead letter redacted as the record view redacts them, since whatever the
 * API answers reaches a browser.
 */
import { Effect, Schema } from "effect"
import type { Kafka } from "kafkajs"
import { parseTimeSpec } from "../dlq/timeSpec.ts"
import { WebhookEvent } from "../domain/WebhookEvent.ts"
import type { KafkaError } from "../kafka/KafkaError.ts"
import { eventTrailJson, type TrailShow } from "../lookup/eventTrailJson.ts"
import { type EventTopics, findEvent } from "../lookup/findEvent.ts"
import { redactedEntry, redactedEvent, type streamRedactors } from "./dlqViews.ts"

const decodeEvent = Schema.decodeUnknownOption(WebhookEvent)

export const redactedTrailShow = (redactorFor: ReturnType<typeof streamRedactors>): TrailShow => ({
  event: (hit) => {
    const event = decodeEvent(hit.event)
    return event._tag === "Some"
      ? redactedEvent(event.value, undefined, redactorFor)
      : "(not a hookstream event: not shown)"
  },
  deadLetter: (entry) => redactedEntry(entry, redactorFor)
})

/** `?id=…&since=…` → the lookup to run, or why not (a 400). */
export const eventQuery = (
  query: Readonly<Record<string, unknown>>,
  now: number
): { readonly eventId: string; readonly since?: number } | string => {
  const id = typeof query["id"] === "string" ? query["id"].trim() : ""
  if (id === "" || id.length > 200) return "id: expected an event id (1 to 200 characters)"
  const sinceText = typeof query["since"] === "string" ? query["since"].trim() : ""
  if (sinceText === "") return { eventId: id }
  const since = parseTimeSpec(sinceText, now)
  return since === undefined ? `since: not a time: ${sinceText} (e.g. 2h, 7d, 2026-01-31)` : { eventId: id, since }
}

export const eventTrailView = (
  kafka: Kafka,
  topics: EventTopics,
  lookup: { readonly eventId: string; readonly since?: number },
  redactorFor: ReturnType<typeof streamRedactors>
): Effect.Effect<ReturnType<typeof eventTrailJson>, KafkaError> =>
  Effect.map(findEvent(kafka, { ...lookup, topics }), (trail) => eventTrailJson(trail, redactedTrailShow(redactorFor)))
