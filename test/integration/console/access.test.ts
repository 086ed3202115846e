/**
 * The console's access checks against every spelling of every route. The routes come from the
 * console's own router (`ConsoleApp.routes`), so a route added later is covered without
 * touching this file; each is requested through the ops server as `hookstream run` mounts it,
 * over a real socket (node:http sends the path byte for byte, so nothing is normalised on the
 * way), in many encodings: percent-encoded letters and slashes, doubled slashes, dot segments,
 * case, trailing dots, `;` parameters, double encoding, backslashes.
 *
 * With a token, no spelling reaches anything but a 401 without it (the ops server's own 404
 * for paths it never hands to the console). Open on loopback, no spelling skips the JSON and
 * same-origin checks of a mutation or the loopback Host check.
 */
import { Agent, request } from "node:http"
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { ConsoleAccess } from "../../../src/console/consoleAccess.ts"
import { type ConsoleApp, type ConsoleRoute, makeConsoleApp } from "../../../src/console/consoleApp.ts"
import { makeLiveHub } from "../../../src/console/LiveHub.ts"
import { makeReplayJobs } from "../../../src/console/ReplayJobs.ts"
import { makeOpsServer } from "../../../src/observability/opsServer.ts"
import { freshTopics, type Topics, testKafkaClient } from "../processor/harness.ts"

const TOKEN = "console-access-matrix-token"
/** what anyone may fetch: the page and its static files. Adding to this list is a decision. */
const PUBLIC = new Set(["/console", "/console/", "/console/static/:file"])

const kafka = testKafkaClient()
const agent = new Agent({ keepAlive: true, maxSockets: 16 })
let topics: Topics
const scope = Effect.runSync(Scope.make())

interface Mounted {
  readonly app: ConsoleApp
  readonly port: number
}

const mount = async (access: Exclude<ConsoleAccess, { _tag: "Disabled" }>): Promise<Mounted> => {
  const app = await makeConsoleApp({
    access,
    mode: "standalone",
    hub: makeLiveHub(),
    kafka,
    topics,
    streams: () => [],
    jobs: makeReplayJobs(kafka, topics, (effect) => Effect.runFork(effect)),
    runPromise: Effect.runPromise
  })
  const ops = await Effect.runPromise(Scope.provide(scope)(makeOpsServer({ host: "127.0.0.1", port: 0 })))
  ops.mount("console", app.handler)
  return { app, port: ops.port }
}

let token: Mounted
let open: Mounted

beforeAll(async () => {
  topics = await freshTopics(kafka, 1)
  token = await mount({ _tag: "Token", token: TOKEN })
  open = await mount({ _tag: "Open" })
})

afterAll(async () => {
  for (const m of [token, open]) m?.app.endStreams()
  agent.destroy()
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

interface Answer {
  readonly status: number
  readonly body: string
}

/** One request with the path exactly as given; a live (SSE) answer is cut after its head. */
const call = (
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string
): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers, agent }, (res) => {
      if (String(res.headers["content-type"]).includes("text/event-stream")) {
        res.destroy()
        resolve({ status: res.statusCode ?? 0, body: "" })
        return
      }
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }))
      res.on("error", reject)
    })
    req.on("error", reject)
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${path}: no answer`)))
    req.end(body)
  })

const hex = (char: string) => `%${char.charCodeAt(0).toString(16).padStart(2, "0")}`
const HEX = (char: string) => hex(char).toUpperCase()

/** The same path spelled every way a router or a proxy might read as it, or nearly. */
const spellings = (path: string): ReadonlyArray<string> => {
  const segments = path.split("/").slice(1)
  const join = (parts: ReadonlyArray<string>) => `/${parts.join("/")}`
  const each = (f: (segment: string, i: number) => string) =>
    segments.map((_, i) => join(segments.map((s, j) => (j === i ? f(s, i) : s))))
  const between = (separator: string) =>
    segments
      .slice(0, -1)
      .map((_, i) => `/${segments.slice(0, i + 1).join("/")}${separator}${segments.slice(i + 1).join("/")}`)
  const out = [
    path,
    ...each((s) => hex(s[0] ?? "") + s.slice(1)),
    ...each((s) => HEX(s[0] ?? "") + s.slice(1)),
    ...each((s) => s.slice(0, -1) + hex(s.at(-1) ?? "")),
    ...each((s) => [...s].map(hex).join("")),
    ...each((s) => `%25${hex(s[0] ?? "").slice(1)}${s.slice(1)}`),
    ...each((s) => s.toUpperCase()),
    ...each((s) => (s[0] ?? "").toUpperCase() + s.slice(1)),
    ...each((s) => `${s}.`),
    ...each((s) => `${s}%2e`),
    ...each((s) => `${s};x=1`),
    ...each((s) => `${s};`),
    ...each((s) => `${s}%00`),
    ...each((s) => `${s}%20`),
    ...between("%2F"),
    ...between("%2f"),
    ...between("//"),
    ...between("/./"),
    ...between("/%2e/"),
    ...between("/x/../"),
    ...between("/x/%2e%2e/"),
    ...between("\\"),
    `/${path}`,
    `${path}/`,
    `${path}//`,
    `${path}/.`,
    `${path}?`,
    `${path}?x=1`
  ]
  return [...new Set(out)]
}

const concrete = (route: ConsoleRoute) => route.url.replace(/:[A-Za-z]+/g, "x1")

/** the console app answers paths whose first segment is literally `console`; the ops server 404s the rest */
const reachesConsole = (path: string) => /^\/console(?:[/?]|$)/.test(path)

const guarded = (app: ConsoleApp) => app.routes.filter((r) => !PUBLIC.has(r.url))

const cases = (app: ConsoleApp) =>
  guarded(app).flatMap((route) => spellings(concrete(route)).map((path) => ({ route, path })))

/** runs `f` over all cases, 16 at a time; returns what failed, as text */
const sweep = async <C>(items: ReadonlyArray<C>, f: (item: C) => Promise<string | undefined>) => {
  const failures: Array<string> = []
  for (let i = 0; i < items.length; i += 16) {
    for (const failure of await Promise.all(items.slice(i, i + 16).map(f)))
      if (failure !== undefined) failures.push(failure)
  }
  return failures
}

const jsonBody = (route: ConsoleRoute) => (route.method === "POST" ? "[]" : undefined)
const jsonHeaders = (route: ConsoleRoute): Record<string, string> =>
  route.method === "POST" ? { "content-type": "application/json" } : {}

describe("the console's routes", () => {
  it("are listed by the router, and only the page is public", () => {
    const urls = new Set(token.app.routes.map((r) => r.url))
    for (const url of ["/console/api/info", "/console/api/dlq", "/console/api/dlq/record", "/console/api/replay"])
      expect(urls).toContain(url)
    expect(guarded(token.app).length).toBeGreaterThanOrEqual(8)
    expect(cases(token.app).length).toBeGreaterThan(400)
  })
})

describe("with a token", () => {
  it("no spelling of any API route answers without the token, nor with a wrong one", async () => {
    const failures = await sweep(cases(token.app), async ({ route, path }) => {
      for (const authorization of [undefined, "Bearer wrong-token", `Basic ${TOKEN}`]) {
        const headers = { ...jsonHeaders(route), ...(authorization === undefined ? {} : { authorization }) }
        const answer = await call(token.port, route.method, path, headers, jsonBody(route))
        const expected = reachesConsole(path) ? 401 : 404
        if (answer.status !== expected)
          return `${route.method} ${path} (${authorization ?? "no token"}): ${answer.status} ${answer.body.slice(0, 120)}`
      }
      return undefined
    })
    expect(failures).toEqual([])
  })

  it("with the token every route is served (the control: the sweep above would see its handlers)", async () => {
    const failures = await sweep(guarded(token.app), async (route) => {
      const ask = (method: string) =>
        call(
          token.port,
          method,
          concrete(route),
          { ...jsonHeaders(route), authorization: `Bearer ${TOKEN}` },
          jsonBody(route)
        )
      const answer = await ask(route.method)
      // handlers answer 200 (or 400 to the deliberately empty inputs, 404 for replay/x1); a
      // HEAD has no body to tell, so it must answer as its GET does
      const get = route.method === "HEAD" ? await ask("GET") : answer
      const fromHandler = get.status === 200 || get.status === 400 || /no such replay/.test(get.body)
      return fromHandler && answer.status === get.status
        ? undefined
        : `${route.method} ${concrete(route)}: ${answer.status} ${answer.body}`
    })
    expect(failures).toEqual([])
  })

  it("mutations still need a JSON body and a same origin with the token, in every spelling", async () => {
    const posts = cases(token.app).filter((c) => c.route.method === "POST" && reachesConsole(c.path))
    expect(posts.length).toBeGreaterThan(50)
    const auth = { authorization: `Bearer ${TOKEN}` }
    const failures = await sweep(posts, async ({ path }) => {
      const form = await call(token.port, "POST", path, { ...auth, "content-type": "text/plain" }, "{}")
      const cross = await call(
        token.port,
        "POST",
        path,
        { ...auth, "content-type": "application/json", origin: "http://evil.example" },
        "{}"
      )
      return form.status === 415 && cross.status === 403 ? undefined : `${path}: ${form.status}, ${cross.status}`
    })
    expect(failures).toEqual([])
  })
})

describe("open on loopback", () => {
  it("no spelling of a mutation skips the JSON-body or the same-origin check", async () => {
    const posts = cases(open.app).filter((c) => c.route.method === "POST")
    const failures = await sweep(posts, async ({ path }) => {
      const form = await call(open.port, "POST", path, { "content-type": "text/plain" }, "{}")
      const bare = await call(open.port, "POST", path, {}, "{}")
      const cross = await call(
        open.port,
        "POST",
        path,
        { "content-type": "application/json", origin: "http://evil.example" },
        "{}"
      )
      const expected = reachesConsole(path) ? [415, 415, 403] : [404, 404, 404]
      const got = [form.status, bare.status, cross.status]
      return got.join() === expected.join() ? undefined : `${path}: ${got.join()} (expected ${expected.join()})`
    })
    expect(failures).toEqual([])
  })

  it("no spelling of any route answers a non-loopback Host (DNS rebinding)", async () => {
    const failures = await sweep(cases(open.app), async ({ route, path }) => {
      const answer = await call(
        open.port,
        route.method,
        path,
        { ...jsonHeaders(route), host: "evil.example" },
        jsonBody(route)
      )
      const expected = reachesConsole(path) ? 421 : 404
      return answer.status === expected ? undefined : `${route.method} ${path}: ${answer.status}`
    })
    expect(failures).toEqual([])
  })

  it("the controls: same-origin JSON reaches the handler, and the page stays public", async () => {
    const replay = await call(open.port, "POST", "/console/api/replay", { "content-type": "application/json" }, "[]")
    expect(replay).toMatchObject({ status: 400 })
    expect((await call(open.port, "GET", "/console/", {})).status).toBe(200)
    expect((await call(token.port, "GET", "/console/", {})).status).toBe(200)
    expect((await call(token.port, "GET", "/console/static/app.js", {})).status).toBe(200)
  })
})
