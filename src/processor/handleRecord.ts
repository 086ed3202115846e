/**
 * One input record → its outcome records. Never fails: a record that cannot be decoded,
 * names no stream, is too large, or whose payload does not match the stream's payload_schema becomes a dead letter with the reason; a chain that
 * does not fully succeed becomes a result plus a dead letter listing the modules to replay;
 * what cannot run now goes to the deferred path (see runEvent).
 * The record is parsed once; the payload is handed to the chain as parsed (never copied).
 */
import { Effect, Schema } from "effect"
import { eventIdFor } from "../domain/EventId.ts"
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../domain/JsonDepth.ts"
import * as H from "../domain/KafkaHeaders.ts"
import { describePayloadProblems } from "../domain/PayloadContract.ts"
import { looksLikeWebhookEvent, WebhookEvent } from "../domain/WebhookEvent.ts"
import type { InputRecord } from "../kafka/InputRecord.ts"
import type { OutputRecord } from "../outcomes/records.ts"
import { decodeProblem, eventView, recordMeta, refusal, rejectEvent } from "./EventView.ts"
import { type HandlerContext, onLease } from "./HandlerContext.ts"
import { runEvent } from "./runEvent.ts"

export { recordMeta } from "./EventView.ts"
export type { HandlerContext, HandlerObserver, RunnableStream, StreamTable } from "./HandlerContext.ts"

const decodeEvent = Schema.decodeUnknownExit(WebhookEvent)
const isWebhookEvent = Schema.is(WebhookEvent)

const rawOf = (record: InputRecord) => ({ raw: record.value === null ? "" : record.value.toString("base64") })

/**
 * `behindSlow`: an earlier event of the record's key has been running for long (see
 * PartitionWorker): the record is decoded and checked as always, then deferred whole.
 */
export const handleRecord = (
  ctx: HandlerContext,
  record: InputRecord,
  behindSlow = false
): Effect.Effect<ReadonlyArray<OutputRecord>> =>
  Effect.withFiber((fiber) => {
    const view = eventView(fiber, recordMeta(record))

    if (record.value === null || record.value.length === 0) {
      return rejectEvent(ctx, view, "invalid_event", refusal("empty", "the record has no value"), rawOf(record))
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(record.value.toString("utf8"))
    } catch {
      return rejectEvent(ctx, view, "invalid_event", refusal("not_json", "the record value is not JSON"), rawOf(record))
    }
    if (exceedsJsonDepth(parsed)) {
      return rejectEvent(
        ctx,
        view,
        "invalid_event",
        refusal("too_deep", `JSON nests deeper than ${MAX_JSON_DEPTH} levels`),
        rawOf(record)
      )
    }
    // checked in place: the parsed value is the event (no copy); decoded only to say what is wrong
    if (!looksLikeWebhookEvent(parsed) && !isWebhookEvent(parsed)) {
      const decoded = decodeEvent(parsed)
      const message = decoded._tag === "Failure" ? decodeProblem(decoded.cause) : "undecodable"
      return rejectEvent(
        ctx,
        view,
        "invalid_event",
        refusal("schema", `not a webhook event: ${message}`),
        rawOf(record)
      )
    }
    const event = parsed
    const eventId = eventIdFor(event.id, view.meta.source)
    const ids = { eventId, webhookId: event.webhook_id }
    const stream = ctx.streams.get(event.webhook_id)
    if (stream === undefined) {
      return rejectEvent(
        ctx,
        view,
        "unknown_webhook",
        refusal("unknown_webhook", `no stream has webhook_id '${event.webhook_id}'`),
        event,
        ids
      )
    }
    if (record.value.length > stream.maxPayloadBytes) {
      return rejectEvent(
        ctx,
        view,
        "payload_too_large",
        refusal(
          "payload_too_large",
          `event of ${record.value.length} bytes exceeds the stream limit of ${stream.maxPayloadBytes}`
        ),
        event,
        ids
      )
    }
    // producers may write to the topic without passing the ingress; a replay is checked again
    const contract = stream.payloadContract
    if (contract !== undefined) {
      const problems =
        event.payload_encoding === "base64"
          ? [{ path: "", message: "is base64 (not JSON), which no payload_schema accepts" }]
          : contract.check(event.payload)
      if (problems.length > 0)
        return rejectEvent(
          ctx,
          view,
          "invalid_payload",
          refusal("invalid_payload", describePayloadProblems(problems)),
          event,
          ids
        )
    }
    const only = H.parseOnlyModules(record.headers[H.ONLY_MODULES])
    let onlyModules: ReadonlySet<string> | undefined
    if (only !== undefined) {
      const known = new Set(stream.chain.plan.modules.map((m) => m.id))
      onlyModules = new Set(only.filter((id) => known.has(id)))
      if (onlyModules.size === 0) {
        return rejectEvent(
          ctx,
          view,
          "invalid_event",
          refusal(
            "unknown_modules",
            `${H.ONLY_MODULES} names no module of stream '${event.webhook_id}': ${only.join(",")}`
          ),
          event,
          ids
        )
      }
    }
    const run = runEvent(ctx, view, { event, ids, stream, onlyModules, behindSlow })
    return onLease(stream, run)
  })
