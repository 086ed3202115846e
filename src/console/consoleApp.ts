/**
 * The operator console's HTTP side: the single page (static files, no build) and its JSON
 * API under `/console`. Built as its own fastify instance that never listens: the ops
 * server hands it the requests under `/console` (`OpsServer.mount`), and the standalone
 * `hookstream console` does the same with a server of its own.
 *
 *   GET  /console/                    the page
 *   GET  /console/api/info            mode, topics, streams count
 *   GET  /console/api/live            server-sent LiveFrames (history first, then one a window)
 *   GET  /console/api/streams         the chains (StreamView), no module config
 *   GET  /console/api/dlq?…filter     stats, timeline and newest entries of the matching dead letters (from the in-memory index)
 *   GET  /console/api/dlq/record?at=  one dead letter, redacted
 *   GET  /console/api/event?id=&since= every record of one event id, redacted (`hookstream event`)
 *   POST /console/api/replay/dry-run  what a replay of the filter would publish
 *   POST /console/api/replay          starts it, named (resumable; 409 while another runs); GET …/replay/:id polls it
 *   GET  /console/api/replays         the one running and the last ones (a reloaded page shows its progress)
 *
 * Access is decided on the route the router matched, never on the URL text: the router
 * percent-decodes the path, so a check on the raw URL let `/console/%61pi/dlq` through.
 * Only the page's own routes (`PAGE_ROUTES`: the page and its static files, which hold no
 * data) are public; every other request, an unmatched one included, passes the access check
 * (consoleAccess.ts) whatever its spelling. Every request other than GET/HEAD also needs a JSON
 * body (`application/json`, which a cross-site form cannot send without a CORS preflight that
 * is never answered) and a same-origin `Origin` when the browser sends one: a page on another
 * site cannot make the operator's browser start a replay on a loopback console.
 */
import { readdirSync, readFileSync } from "node:fs"
import type { ServerResponse } from "node:http"
import { createRequire } from "node:module"
import { extname, join } from "node:path"
import type { Effect } from "effect"
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify"
import type { Kafka } from "kafkajs"
import { map, shareReplay } from "rxjs"
import type { ReloadStatus } from "../config/ReloadStatus.ts"
import type { StreamDefinition } from "../config/StreamDefinition.ts"
import { parseCoordinate } from "../dlq/DlqEntry.ts"
import { readAt } from "../dlq/readDlq.ts"
import type { MountedHandler } from "../observability/opsServer.ts"
import { authorized, type ConsoleAccess, hostAllowed } from "./consoleAccess.ts"
import { type DlqIndex, indexAnswers } from "./DlqIndex.ts"
import type { DlqTailStatus } from "./dlqTail.ts"
import { dlqPage, filterFromQuery, redactedEntry, streamRedactors } from "./dlqViews.ts"
import { eventQuery, eventTrailView } from "./eventViews.ts"
import { HISTORY, type LiveHub } from "./LiveHub.ts"
import type { ReplayJobs, ReplayRequest } from "./ReplayJobs.ts"
import { streamEvents } from "./sse.ts"
import { reloadView, streamView } from "./streamViews.ts"

export interface ConsoleDeps {
  readonly access: ConsoleAccess
  /** `processor`: mounted in `hookstream run` (live from the processor itself); `standalone`: tails the topics */
  readonly mode: "processor" | "standalone"
  readonly hub: LiveHub
  readonly kafka: Kafka
  readonly topics: { readonly input: string; readonly results: string; readonly dlq: string }
  /** the streams in use now (a reload changes them) */
  readonly streams: () => ReadonlyArray<StreamDefinition>
  /** the config's reload status, where the config reloads (`hookstream run`) */
  readonly reload?: () => ReloadStatus
  readonly jobs: ReplayJobs
  /** the in-memory DLQ view (DlqIndex.ts, fed by dlqTail.ts); without it, DLQ views read the topic */
  readonly dlqIndex?: {
    readonly query: DlqIndex["query"]
    readonly status: () => DlqTailStatus
  }
  /** runs an Effect with the process's services (logger) */
  readonly runPromise: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
}

const PUBLIC = join(import.meta.dirname, "public")
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml"
}

/** the page's files, read once: a fixed set, so no path from a request ever reaches the disk */
const staticFiles = (): ReadonlyMap<string, { readonly type: string; readonly body: Buffer }> => {
  const files = new Map<string, { type: string; body: Buffer }>()
  for (const name of readdirSync(PUBLIC)) {
    files.set(name, {
      type: TYPES[extname(name)] ?? "application/octet-stream",
      body: readFileSync(join(PUBLIC, name))
    })
  }
  const uplot = createRequire(import.meta.url).resolve("uplot")
  files.set("uPlot.iife.min.js", {
    type: TYPES[".js"] as string,
    body: readFileSync(join(uplot, "..", "uPlot.iife.min.js"))
  })
  files.set("uPlot.min.css", { type: TYPES[".css"] as string, body: readFileSync(join(uplot, "..", "uPlot.min.css")) })
  return files
}

const numberOr = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value > 0
    ? value
    : typeof value === "string" && value.trim() !== "" && Number(value) > 0
      ? Number(value)
      : undefined

const sameOrigin = (request: FastifyRequest): boolean => {
  const origin = request.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === request.headers.host
  } catch {
    return false
  }
}

/** The routes anyone may fetch: the page and its static files, which carry no data. */
/** the filter fields of a replay request, kept on the job so the page can start it again */
const FILTER_FIELDS = ["webhook", "reason", "module", "key", "since", "until"] as const

export const PAGE_ROUTES: ReadonlySet<string> = new Set(["/console", "/console/", "/console/static/:file"])

export interface ConsoleRoute {
  readonly method: string
  /** the route's pattern as registered (`/console/api/replay/:id`) */
  readonly url: string
}

export interface ConsoleApp {
  readonly handler: MountedHandler
  /** every route the router serves, as it registered them */
  readonly routes: ReadonlyArray<ConsoleRoute>
  /** ends the open live streams: a server closing waits for its connections, and these never end by themselves */
  readonly endStreams: () => void
}

export const makeConsoleApp = async (deps: ConsoleDeps): Promise<ConsoleApp> => {
  const files = staticFiles()
  // views of the streams in use, made again only when a reload changed them
  let viewed: ReadonlyArray<StreamDefinition> | undefined
  let views: { streams: ReadonlyArray<ReturnType<typeof streamView>>; redactors: ReturnType<typeof streamRedactors> }
  const current = () => {
    const now = deps.streams()
    if (now !== viewed) {
      viewed = now
      views = { streams: now.map(streamView), redactors: streamRedactors(now) }
    }
    return views
  }
  const redactorFor: ReturnType<typeof streamRedactors> = (webhookId) => current().redactors(webhookId)
  const app = Fastify({ logger: false })
  const live = new Set<ServerResponse>()
  // serialized once, shared: a hundred viewers cost one JSON.stringify a frame
  const frameText = deps.hub.frames.pipe(
    map((frame) => JSON.stringify(frame)),
    shareReplay({ bufferSize: HISTORY, refCount: true })
  )

  const routes: Array<ConsoleRoute> = []
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url })
  })
  // onRequest runs once the router has matched: `routeOptions.url` is the matched pattern
  // (undefined when nothing matched), so no spelling of a path can change the decision
  app.addHook("onRequest", async (request, reply) => {
    if (!hostAllowed(deps.access, request.headers.host))
      return reply
        .code(421)
        .send({ error: "an open console answers only to a loopback Host (127.0.0.1, localhost, [::1])" })
    if (PAGE_ROUTES.has(request.routeOptions.url ?? "")) return
    if (!authorized(deps.access, request.headers.authorization))
      return reply.code(401).send({ error: "token required" })
    if (request.method === "GET" || request.method === "HEAD") return
    // a cross-site form can POST text/plain without a preflight; JSON cannot
    if (!/^application\/json\b/i.test(request.headers["content-type"] ?? ""))
      return reply.code(415).send({ error: "expected an application/json body" })
    if (!sameOrigin(request)) return reply.code(403).send({ error: "cross-origin request" })
  })

  const sendFile = (name: string, reply: FastifyReply) => {
    const file = files.get(name)
    if (file === undefined) return reply.code(404).send({ error: "not found" })
    return reply.header("content-type", file.type).header("cache-control", "no-cache").send(file.body)
  }
  app.get("/console", async (_request, reply) => reply.redirect("/console/"))
  app.get("/console/", async (_request, reply) => sendFile("index.html", reply))
  app.get<{ Params: { file: string } }>("/console/static/:file", async (request, reply) =>
    sendFile(request.params.file, reply)
  )

  app.get("/console/api/info", async () => ({
    mode: deps.mode,
    topics: deps.topics,
    streams: current().streams.length,
    access: deps.access._tag === "Token" ? "token" : "open"
  }))
  // no HEAD: an event stream has no head of its own, and Node sends none until the body ends
  app.get("/console/api/live", { exposeHeadRoute: false }, (request, reply) => {
    reply.hijack()
    live.add(reply.raw)
    streamEvents(reply.raw, frameText)
    request.raw.on("close", () => {
      live.delete(reply.raw)
      reply.raw.end()
    })
  })
  app.get("/console/api/streams", async () => ({ streams: current().streams, config: reloadView(deps.reload?.()) }))

  app.get<{ Querystring: Record<string, string> }>("/console/api/dlq", async (request, reply) => {
    const now = Date.now()
    const parsed = filterFromQuery(request.query, now)
    if (parsed._tag === "Invalid") return reply.code(400).send({ error: parsed.message })
    const limit = Math.min(500, numberOr(request.query["limit"]) ?? 100)
    // the index answers at once (still catching up: so far, and it says how far behind)
    if (deps.dlqIndex !== undefined && indexAnswers(parsed.filter))
      return { ...deps.dlqIndex.query(parsed.filter, limit, now), index: deps.dlqIndex.status() }
    return { ...(await deps.runPromise(dlqPage(deps.kafka, deps.topics.dlq, parsed.filter, limit, now))), index: null }
  })
  app.get<{ Querystring: { at?: string } }>("/console/api/dlq/record", async (request, reply) => {
    const at = parseCoordinate(request.query.at ?? "", deps.topics.dlq)
    if (at === undefined || at.topic !== deps.topics.dlq)
      return reply.code(400).send({ error: "at: expected partition:offset of the DLQ topic" })
    const entry = await deps.runPromise(readAt(deps.kafka, at))
    if (entry === undefined) return reply.code(404).send({ error: "no dead letter there" })
    return redactedEntry(entry, redactorFor)
  })

  app.get<{ Querystring: Record<string, string> }>("/console/api/event", async (request, reply) => {
    const lookup = eventQuery(request.query, Date.now())
    if (typeof lookup === "string") return reply.code(400).send({ error: lookup })
    return deps.runPromise(eventTrailView(deps.kafka, deps.topics, lookup, redactorFor))
  })

  const replayRequest = (body: unknown): ReplayRequest | string => {
    if (typeof body !== "object" || body === null || Array.isArray(body)) return "expected a JSON object"
    const b = body as Record<string, unknown>
    const parsed = filterFromQuery(b, Date.now())
    if (parsed._tag === "Invalid") return parsed.message
    const rate = numberOr(b["rate"])
    const maxReplays = numberOr(b["maxReplays"])
    const name = typeof b["name"] === "string" && b["name"].trim() !== "" ? b["name"].trim() : undefined
    const query: Record<string, string> = {}
    for (const k of FILTER_FIELDS) if (typeof b[k] === "string" && b[k] !== "") query[k] = b[k]
    return {
      filter: parsed.filter,
      ...(name === undefined ? {} : { name }),
      query,
      allModules: b["allModules"] === true,
      ...(rate === undefined ? {} : { ratePerSecond: rate }),
      ...(maxReplays === undefined ? {} : { maxReplays: Math.floor(maxReplays) })
    }
  }
  app.post("/console/api/replay/dry-run", async (request, reply) => {
    const replay = replayRequest(request.body)
    if (typeof replay === "string") return reply.code(400).send({ error: replay })
    return deps.runPromise(deps.jobs.dryRun(replay))
  })
  app.post("/console/api/replay", async (request, reply) => {
    const replay = replayRequest(request.body)
    if (typeof replay === "string") return reply.code(400).send({ error: replay })
    const job = deps.jobs.start(replay)
    if (typeof job === "string") return reply.code(400).send({ error: job })
    if (job === undefined)
      return reply.code(409).send({ error: "a replay is already running", job: deps.jobs.current() ?? null })
    return reply.code(202).send(job)
  })
  // what a reloaded page needs to show a replay still running (and the last ones)
  app.get("/console/api/replays", async () => ({ current: deps.jobs.current() ?? null, jobs: deps.jobs.list() }))
  app.get<{ Params: { id: string } }>("/console/api/replay/:id", async (request, reply) => {
    const job = deps.jobs.get(request.params.id)
    return job === undefined ? reply.code(404).send({ error: "no such replay" }) : job
  })

  app.setErrorHandler(async (error, _request, reply) => {
    const message = typeof error === "object" && error !== null && "message" in error ? String(error.message) : "failed"
    return reply.code(502).send({ error: message })
  })
  await app.ready()
  return {
    handler: (request, response) => app.routing(request, response),
    routes,
    endStreams: () => {
      for (const response of live) response.end()
    }
  }
}
