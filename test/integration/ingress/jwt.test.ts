/**
 * JWT auth against a real broker, with tokens signed by keys this test makes: HS256 secrets,
 * RS256/ES256/EdDSA public keys in PEM, and a JWKS served by a local HTTP server (rotation to a
 * new kid, an unknown kid refetching at most once per cooldown, a JWKS that hangs → 503 at the
 * fetch timeout). Expired, not-yet-valid, wrong issuer or audience, missing claims, `alg: none`
 * and an HS256 token MACed with the RSA public key are refused (bare 401).
 */
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from "jose"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { JwtAuthConfig } from "../../../src/config/JwtAuth.ts"
import { makeJwtCheck } from "../../../src/ingress/auth/jwt.ts"
import { createTopics, kafkaBrokers, testKafka, uniqueName } from "../../support/kafka.ts"
import { startTestIngress, streamsFrom, type TestIngress } from "./harness.ts"

const HS_SECRET = "a-shared-secret-of-at-least-32-bytes!"
const ISSUER = "https://idp.test/"
const AUDIENCE = "hookstream"

type Keys = Awaited<ReturnType<typeof generateKeyPair>>
let rsa: Keys, ec: Keys, ed: Keys, rotated: Keys, stranger: Keys
let jwks: { keys: Array<JWK> } = { keys: [] }
let jwksFetches = 0
let jwksServer: Server
let jwksPort = 0
let hangingServer: Server
let ingress: TestIngress
const topic = uniqueName("ingress-jwt")
const kafka = testKafka("ingress-jwt-test")

const sign = (
  key: Keys["privateKey"] | Uint8Array,
  alg: string,
  claims: Record<string, unknown> = {},
  options: { kid?: string; exp?: number | string; iss?: string; aud?: string; nbf?: number } = {}
) => {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, ...(options.kid === undefined ? {} : { kid: options.kid }) })
    .setIssuedAt()
    .setIssuer(options.iss ?? ISSUER)
    .setAudience(options.aud ?? AUDIENCE)
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp)
  else jwt.setExpirationTime("5m")
  if (options.nbf !== undefined) jwt.setNotBefore(options.nbf)
  return jwt.sign(key)
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const nowSeconds = () => Math.floor(Date.now() / 1000)

const listen = (server: Server) =>
  new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)))

const post = async (webhookId: string, token: string | undefined) => {
  const response = await ingress.post(webhookId, {
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
    },
    body: '{"n":1}'
  })
  const body = await response.text()
  if (response.status === 401) expect(JSON.parse(body)).toEqual({ error: "unauthorized" })
  return response.status
}

beforeAll(async () => {
  ;[rsa, ec, ed, rotated, stranger] = await Promise.all([
    generateKeyPair("RS256"),
    generateKeyPair("ES256"),
    generateKeyPair("EdDSA"),
    generateKeyPair("RS256"),
    generateKeyPair("RS256")
  ])
  jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: "k1", alg: "RS256", use: "sig" }] }
  jwksServer = createServer((_req, res) => {
    jwksFetches++
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks))
  })
  hangingServer = createServer(() => undefined)
  const [servedPort, hangingPort] = await Promise.all([listen(jwksServer), listen(hangingServer)])
  jwksPort = servedPort
  const pem = async (k: Keys) => JSON.stringify(await exportSPKI(k.publicKey))
  const common = `issuer: "${ISSUER}", audience: ${AUDIENCE}`
  const stream = (id: string, jwt: string) =>
    `id: ${id}\ningress: { auth: { jwt: { ${jwt}, ${common} } } }\nchain: [{ module: log }]\n`
  const config = streamsFrom({
    "hs.yaml": stream("t-jwt-hs", `algorithms: [HS256], secrets: ["old-secret-not-used-anymore-0000", "${HS_SECRET}"]`),
    "pem.yaml": stream(
      "t-jwt-pem",
      `algorithms: [RS256, ES256, EdDSA], public_keys: [${await pem(rsa)}, ${await pem(ec)}, ${await pem(ed)}], required_claims: [sub], clock_tolerance: 5s`
    ),
    "jwks.yaml": stream(
      "t-jwt-jwks",
      `algorithms: [RS256], jwks_url: "http://127.0.0.1:${jwksPort}/jwks.json", allowed_hosts: [127.0.0.1], jwks_cooldown: 1s`
    ),
    "hang.yaml": stream(
      "t-jwt-hang",
      `algorithms: [RS256], jwks_url: "http://127.0.0.1:${hangingPort}/jwks.json", allowed_hosts: [127.0.0.1], jwks_timeout: 500ms`
    )
  })
  await createTopics(kafka, [{ topic }])
  ingress = await startTestIngress(config, { brokers: kafkaBrokers(), topic })
  await ingress.ready()
}, 60_000)

afterAll(async () => {
  await ingress?.close()
  jwksServer?.closeAllConnections()
  hangingServer?.closeAllConnections()
  jwksServer?.close()
  hangingServer?.close()
})

describe("HS256 with inline secrets", () => {
  it("a token MACed with a listed secret → 202; another secret, no token, garbage → 401", async () => {
    const secret = new TextEncoder().encode(HS_SECRET)
    expect(await post("t-jwt-hs", await sign(secret, "HS256"))).toBe(202)
    expect(
      await post("t-jwt-hs", await sign(new TextEncoder().encode("another-secret-entirely-00000000"), "HS256"))
    ).toBe(401)
    expect(await post("t-jwt-hs", undefined)).toBe(401)
    expect(await post("t-jwt-hs", "not.a.jwt")).toBe(401)
    // HS384 is not among the stream's algorithms
    expect(await post("t-jwt-hs", await sign(secret, "HS384"))).toBe(401)
  })
})

describe("public keys in PEM (RS256, ES256, EdDSA)", () => {
  it("each algorithm with its key → 202; a stranger's key → 401", async () => {
    expect(await post("t-jwt-pem", await sign(rsa.privateKey, "RS256", { sub: "shop-1" }))).toBe(202)
    expect(await post("t-jwt-pem", await sign(ec.privateKey, "ES256", { sub: "shop-1" }))).toBe(202)
    expect(await post("t-jwt-pem", await sign(ed.privateKey, "EdDSA", { sub: "shop-1" }))).toBe(202)
    expect(await post("t-jwt-pem", await sign(stranger.privateKey, "RS256", { sub: "shop-1" }))).toBe(401)
  })

  it("claims: expired, not yet valid (past the tolerance), wrong issuer or audience, a required claim missing, no exp → 401", async () => {
    const ok = (claims: Record<string, unknown>, options: Parameters<typeof sign>[3]) =>
      sign(rsa.privateKey, "RS256", { sub: "shop-1", ...claims }, options)
    expect(await post("t-jwt-pem", await ok({}, { exp: nowSeconds() - 60 }))).toBe(401)
    // within the 5 s tolerance either way: accepted
    expect(await post("t-jwt-pem", await ok({}, { exp: nowSeconds() - 2 }))).toBe(202)
    expect(await post("t-jwt-pem", await ok({}, { nbf: nowSeconds() + 3 }))).toBe(202)
    expect(await post("t-jwt-pem", await ok({}, { nbf: nowSeconds() + 60 }))).toBe(401)
    expect(await post("t-jwt-pem", await ok({}, { iss: "https://evil.test/" }))).toBe(401)
    expect(await post("t-jwt-pem", await ok({}, { aud: "someone-else" }))).toBe(401)
    expect(await post("t-jwt-pem", await sign(rsa.privateKey, "RS256", {}))).toBe(401)
    const noExp = await new SignJWT({ sub: "shop-1" })
      .setProtectedHeader({ alg: "RS256" })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .sign(rsa.privateKey)
    expect(await post("t-jwt-pem", noExp)).toBe(401)
  })

  it("alg confusion: `alg: none` and an HS256 token MACed with the RSA public key are refused", async () => {
    const claims = { iss: ISSUER, aud: AUDIENCE, sub: "shop-1", exp: nowSeconds() + 300 }
    expect(await post("t-jwt-pem", `${b64({ alg: "none", typ: "JWT" })}.${b64(claims)}.`)).toBe(401)
    const publicPem = new TextEncoder().encode(await exportSPKI(rsa.publicKey))
    expect(await post("t-jwt-pem", await sign(publicPem, "HS256", { sub: "shop-1" }))).toBe(401)
  })
})

describe("a JWKS from a URL", () => {
  it("fetched once and cached; rotation to a new kid is picked up; an unknown kid refetches at most once per cooldown", async () => {
    expect(await post("t-jwt-jwks", await sign(rsa.privateKey, "RS256", {}, { kid: "k1" }))).toBe(202)
    expect(await post("t-jwt-jwks", await sign(rsa.privateKey, "RS256", {}, { kid: "k1" }))).toBe(202)
    expect(jwksFetches).toBe(1)

    // the issuer rotates: k2 is published (k1 withdrawn); a k2 token makes the ingress refetch
    jwks = { keys: [{ ...(await exportJWK(rotated.publicKey)), kid: "k2", alg: "RS256", use: "sig" }] }
    await new Promise((resolve) => setTimeout(resolve, 1_100))
    expect(await post("t-jwt-jwks", await sign(rotated.privateKey, "RS256", {}, { kid: "k2" }))).toBe(202)
    expect(jwksFetches).toBe(2)

    // tokens naming kids the issuer never published: 401, and no fetch storm (cooldown 1 s)
    const before = jwksFetches
    for (let i = 0; i < 5; i++)
      expect(await post("t-jwt-jwks", await sign(stranger.privateKey, "RS256", {}, { kid: `nope-${i}` }))).toBe(401)
    expect(jwksFetches - before).toBeLessThanOrEqual(1)
    // the withdrawn key no longer verifies
    expect(await post("t-jwt-jwks", await sign(rsa.privateKey, "RS256", {}, { kid: "k1" }))).toBe(401)
  })

  it("a JWKS that does not answer within jwks_timeout → 503 with Retry-After, not 401", async () => {
    const started = Date.now()
    const response = await ingress.post("t-jwt-hang", {
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${await sign(rsa.privateKey, "RS256", {}, { kid: "k1" })}`
      },
      body: "{}"
    })
    expect(response.status).toBe(503)
    expect(response.headers.get("retry-after")).toBe("5")
    expect(Date.now() - started).toBeLessThan(3_000)
  })
})

describe("the JWKS fetch goes through the SSRF guard after DNS", () => {
  // a name that passes the load-time check (not an IP literal) but resolves to loopback
  const resolve = async () => [{ address: "127.0.0.1", family: 4 }]
  const config = (allowed: ReadonlyArray<string>): JwtAuthConfig => ({
    algorithms: ["RS256"],
    jwks_url: `http://jwks.internal.test:${jwksPort}/jwks.json`,
    allowed_hosts: allowed,
    jwks_cache: 600_000,
    jwks_cooldown: 0,
    jwks_timeout: 2_000,
    issuer: ISSUER,
    audience: AUDIENCE,
    clock_tolerance: 0,
    required_claims: []
  })

  it("a name resolving to a private address is refused (unavailable, nothing fetched) unless allowed_hosts lists it", async () => {
    const token = `Bearer ${await sign(rotated.privateKey, "RS256", {}, { kid: "k2" })}`
    const before = jwksFetches
    expect(await makeJwtCheck(config([]), resolve)(token)).toBe("unavailable")
    expect(jwksFetches).toBe(before)
    expect(await makeJwtCheck(config(["jwks.internal.test"]), resolve)(token)).toBe("pass")
    expect(jwksFetches).toBe(before + 1)
  })
})
