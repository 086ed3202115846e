/**
 * `hookstream event <event_id>`: where is my event. Every record of that id on the input,
 * results and dead-letter topics, newest first: each time it came in (replays included),
 * each result record, each dead letter (src/lookup/findEvent.ts). Exit 0 when anything was
 * found, 1 when nothing was, 2 on usage errors.
 */
import { Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { errorMessageOf, formatCoordinate } from "../dlq/DlqEntry.ts"
import { formatAge, parseTimeSpec } from "../dlq/timeSpec.ts"
import { eventTrailJson } from "../lookup/eventTrailJson.ts"
import { type EventHit, type EventTrail, findEvent } from "../lookup/findEvent.ts"
import { kafkaFor } from "./brokers.ts"
import { failure, usageError } from "./CliExit.ts"
import { isTty, jsonFlag } from "./dlqFlags.ts"
import { table } from "./render.ts"
import { runFlags } from "./run.ts"

const webhookOf = (hit: EventHit): string | undefined => {
  if (hit.kind === "result") return hit.record.webhook_id
  if (hit.kind === "dead_letter") return hit.entry.record?.webhook_id
  const event = hit.event
  return typeof event === "object" && event !== null && "webhook_id" in event ? String(event.webhook_id) : undefined
}

const row = (hit: EventHit): ReadonlyArray<string> => {
  const at = new Date(hit.at).toISOString()
  const where = formatCoordinate(hit.coordinate)
  switch (hit.kind) {
    case "input":
      return [
        at,
        hit.replayCount > 0 ? "replayed in" : "sent in",
        where,
        String(hit.replayCount),
        [hit.replayOf === undefined ? "" : `replay of ${hit.replayOf}`, hit.key === null ? "no key" : `key ${hit.key}`]
          .filter((p) => p !== "")
          .join(", ")
      ]
    case "result":
      return [
        at,
        "result",
        where,
        String(hit.record.replay_count),
        `${hit.record.status} in ${Math.round(hit.record.duration_ms)} ms: ${hit.record.modules.map((m) => `${m.id} ${m.status}`).join(", ")}`
      ]
    case "dead_letter": {
      const record = hit.entry.record
      return [
        at,
        "dead letter",
        where,
        record === undefined ? "" : String(record.replay_count),
        [record?.reason ?? hit.entry.problem ?? "", errorMessageOf(hit.entry) ?? ""].filter((p) => p !== "").join(": ")
      ]
    }
  }
}

const scanText = (trail: EventTrail): string =>
  trail.from === undefined
    ? "the whole topics"
    : `${new Date(trail.from).toISOString()} on (${trail.fromWhy === "since" ? "--since" : "the time in the ULID, less 5 minutes"})`

const print = (trail: EventTrail) =>
  Effect.gen(function* () {
    const webhook = trail.hits.map(webhookOf).find((w) => w !== undefined)
    const newest = trail.hits[0]
    yield* Console.log(
      `event ${trail.eventId}${webhook === undefined ? "" : ` (webhook ${webhook})`}: ${trail.hits.length} record(s), newest first` +
        `${newest === undefined ? "" : `; last seen ${formatAge(Date.now() - newest.at)} ago`}`
    )
    yield* Console.log(table(["TIME", "WHAT", "WHERE", "REPLAY", "DETAIL"], trail.hits.map(row), 120))
    const outcomes = trail.hits.filter((h) => h.kind !== "input")
    if (outcomes.length === 0)
      yield* Console.log("no outcome yet: no processor has finished it (is one running? npm start, hookstream run)")
  })

export const eventCommand = Command.make(
  "event",
  {
    eventId: Argument.String("event_id").pipe(
      Argument.withDescription("The event id (a ULID from the ingress or `hookstream send`, a provider's delivery id…)")
    ),
    brokers: runFlags.brokers,
    input: runFlags.input,
    results: runFlags.results,
    dlq: runFlags.dlq,
    since: Flag.String("since").pipe(
      Flag.withDescription(
        "Read only records stored since then: 2h (ago), 7d, 2026-01-31, RFC 3339 (default: for a ULID, its own time less 5 minutes; otherwise the whole topics)"
      ),
      Flag.optional
    ),
    json: jsonFlag
  },
  Effect.fn("event")(function* (flags) {
    let since: number | undefined
    if (Option.isSome(flags.since)) {
      since = parseTimeSpec(flags.since.value, Date.now())
      if (since === undefined)
        return yield* usageError("event", `--since: not a time: ${flags.since.value} (e.g. 2h, 7d, 2026-01-31)`)
    }
    const kafka = yield* kafkaFor("event", flags.brokers)
    const trail = yield* findEvent(kafka, {
      eventId: flags.eventId,
      topics: { input: flags.input, results: flags.results, dlq: flags.dlq },
      ...(since === undefined ? {} : { since })
    }).pipe(Effect.catchTag("KafkaError", (e) => failure("event", `Kafka failed (${e.operation}: ${e.message})`)))
    if (flags.json || !isTty()) yield* Console.log(JSON.stringify(eventTrailJson(trail), null, 2))
    else if (trail.hits.length > 0) yield* print(trail)
    if (trail.hits.length === 0)
      return yield* failure(
        "event",
        `no record of ${flags.eventId} on ${flags.input}, ${flags.results} or ${flags.dlq} (read ${scanText(trail)})`
      )
  })
).pipe(
  Command.withDescription(
    "Where is my event: every record of one event id on the input, results and DLQ topics (arrivals, replays, results, dead letters), newest first. Exit 0 found, 1 not found, 2 usage error."
  ),
  Command.withExamples([
    { command: "hookstream event order-43", description: "An event's arrivals, results and dead letters" },
    { command: "hookstream event order-42 --since 1h --json", description: "Only the last hour, as JSON" }
  ])
)
