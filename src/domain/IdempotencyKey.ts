/**
 * The idempotency key of one step's delivery of one event: `<webhook_id>:<event_id>:<module id>`.
 * Stable across attempts, redeliveries and replays (none of the three parts changes), and
 * scoped by stream: two streams whose events share an id (a provider's id, or one a producer
 * chose) and whose chains share a sink and module ids still write two records, so one
 * stream cannot pre-empt or overwrite another's. Every sink that dedupes keys on it (SQL
 * `idempotency_key` rows, file names, Redis guards, `Nats-Msg-Id`, the `Idempotency-Key`
 * and `hookstream-idempotency-key` headers). Neither stream ids nor module ids can contain a
 * `:`, so the key is unambiguous whatever the event id holds.
 */
export const idempotencyKey = (webhookId: string, eventId: string, moduleId: string): string =>
  idempotencyKeyOf(idempotencyKeyPrefix(webhookId, eventId), moduleId)

/**
 * The part of the key one event's steps share, built once per chain run: joining all three
 * parts per step built three intermediate strings per step (~80 bytes), for every event.
 */
export const idempotencyKeyPrefix = (webhookId: string, eventId: string): string => `${webhookId}:${eventId}:`

/** The key of `moduleId`'s delivery, from its event's `idempotencyKeyPrefix`. */
export const idempotencyKeyOf = (prefix: string, moduleId: string): string => prefix + moduleId
