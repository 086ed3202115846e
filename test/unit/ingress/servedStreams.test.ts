import { describe, expect, it } from "vitest"
import { validateSources } from "../../../src/config/loadSources.ts"
import type { LoadedConfig } from "../../../src/config/StreamDefinition.ts"
import { compileServedStreams } from "../../../src/ingress/servedStreams.ts"
import type { StreamIngress } from "../../../src/ingress/streamIngress.ts"

/** A config from stream files (`id: ingress section`), each validated afresh: no object is shared between two calls. */
const configOf = (streams: Readonly<Record<string, string | undefined>>): LoadedConfig => {
  const validation = validateSources({
    streams: Object.entries(streams).map(([id, ingress]) => ({
      path: `${id}.yaml`,
      text: `id: ${id}\n${ingress === undefined ? "" : `ingress: ${ingress}\n`}chain: [{ module: log }]\n`
    })),
    env: {}
  })
  if (validation.config === undefined) throw new Error(JSON.stringify(validation.issues))
  return validation.config
}

const stream = (streams: ReadonlyArray<StreamIngress>, id: string): StreamIngress => {
  const found = streams.find((s) => s.webhookId === id)
  if (found === undefined) throw new Error(`${id} is not served`)
  return found
}

const now = () => 1_000_000
const head = (authorization: string) => ({ headers: { authorization }, ip: "127.0.0.1", url: "/webhooks/x" })
const RATE = "{ rate_limit: { per_second: 0.01, burst: 2 } }"
const jwt = (secret: string) =>
  `{ auth: { jwt: { algorithms: [HS256], secrets: [${secret}], issuer: https://issuer.test, audience: hooks } } }`

describe("the streams served, compiled for a config", () => {
  it("serves enabled ingress sections only, in file order, and warns of those without authentication", () => {
    const served = compileServedStreams(
      configOf({
        open: "{}",
        locked: "{ auth: { bearer: { tokens: [t] } } }",
        off: "{ enabled: false }",
        none: undefined
      }),
      now
    )
    expect(served.streams.map((s) => s.webhookId)).toEqual(["open", "locked"])
    expect(served.added).toEqual(["open", "locked"])
    expect(served.newlyOpen).toEqual(["open"])
  })

  it("a reload reports the streams added and removed, and warns only of streams newly open", () => {
    const first = compileServedStreams(
      configOf({ open: "{}", locked: "{ auth: { bearer: { tokens: [t] } } }", gone: "{}" }),
      now
    )
    const second = compileServedStreams(configOf({ open: "{}", locked: "{}", fresh: "{}" }), now, first.streams)
    expect(second.added).toEqual(["fresh"])
    expect(second.removed).toEqual(["gone"])
    expect(second.newlyOpen).toEqual(["locked", "fresh"])
  })

  it("a changed credential applies to the new compilation; the old one, held by requests in flight, keeps its own", () => {
    const first = compileServedStreams(configOf({ s: "{ auth: { bearer: { tokens: [old-token] } } }" }), now)
    const second = compileServedStreams(
      configOf({ s: "{ auth: { bearer: { tokens: [new-token] } } }" }),
      now,
      first.streams
    )
    expect(stream(second.streams, "s").checkHead(head("Bearer new-token"))).toBe(true)
    expect(stream(second.streams, "s").checkHead(head("Bearer old-token"))).toBe(false)
    expect(stream(first.streams, "s").checkHead(head("Bearer old-token"))).toBe(true)
  })
})

describe("state kept across a reload", () => {
  const spend = (s: StreamIngress) => [s.rateLimit(undefined).allowed, s.rateLimit(undefined).allowed]

  it("unchanged rate_limit settings keep the limiter and its spent tokens; changed ones start afresh", () => {
    const first = compileServedStreams(configOf({ s: RATE }), now)
    expect(spend(stream(first.streams, "s"))).toEqual([true, true])
    const same = compileServedStreams(configOf({ s: RATE }), now, first.streams)
    expect(stream(same.streams, "s").rateLimit(undefined).allowed).toBe(false)
    const changed = compileServedStreams(
      configOf({ s: "{ rate_limit: { per_second: 0.01, burst: 3 } }" }),
      now,
      same.streams
    )
    expect(stream(changed.streams, "s").rateLimit(undefined).allowed).toBe(true)
  })

  it("a stream removed and added again starts afresh; another stream's limiter is never taken over", () => {
    const first = compileServedStreams(configOf({ s: RATE }), now)
    spend(stream(first.streams, "s"))
    const without = compileServedStreams(configOf({ t: RATE }), now, first.streams)
    expect(stream(without.streams, "t").rateLimit(undefined).allowed).toBe(true)
    const back = compileServedStreams(configOf({ s: RATE, t: RATE }), now, without.streams)
    expect(stream(back.streams, "s").rateLimit(undefined).allowed).toBe(true)
  })

  it("unchanged jwt settings keep the JWT check (its JWKS cache); secrets compare by value", () => {
    const first = compileServedStreams(configOf({ s: jwt("secret-one") }), now)
    const same = compileServedStreams(configOf({ s: jwt("secret-one") }), now, first.streams)
    expect(stream(same.streams, "s").verifyToken).toBeDefined()
    expect(stream(same.streams, "s").verifyToken).toBe(stream(first.streams, "s").verifyToken)
    const changed = compileServedStreams(configOf({ s: jwt("secret-two") }), now, same.streams)
    expect(stream(changed.streams, "s").verifyToken).not.toBe(stream(same.streams, "s").verifyToken)
    expect(stream(changed.streams, "s").authenticated).toBe(true)
  })
})
