/**
 * CPU per request of the ingress's checks, measured in this process on the compiled checks the
 * request path uses (no HTTP, no Kafka): the GitHub HMAC as the baseline, a JWT per algorithm
 * (inline keys; a JWKS, once cached, costs what its key's algorithm costs), and the payload
 * schema on the bench body. process.cpuUsage over many calls after a warm-up.
 */
import { createHmac } from "node:crypto"
import { Redacted } from "effect"
import { exportSPKI, generateKeyPair, SignJWT } from "jose"
import type { JwtAuthConfig } from "../../src/config/JwtAuth.ts"
import { compilePayloadSchema } from "../../src/config/payloadSchema.ts"
import { makeHmacCheck } from "../../src/ingress/auth/hmac.ts"
import { makeJwtCheck } from "../../src/ingress/auth/jwt.ts"

export const BENCH_SCHEMA = {
  type: "object",
  required: ["n", "customer", "filler"],
  properties: {
    n: { type: "integer", minimum: 0 },
    customer: { type: "object", required: ["id"], properties: { id: { type: "string", pattern: "^c-" } } },
    filler: { type: "string", maxLength: 4096 }
  }
}

const cpuMicros = async (iterations: number, run: () => unknown | Promise<unknown>): Promise<number> => {
  for (let i = 0; i < Math.min(500, iterations); i++) await run()
  const before = process.cpuUsage()
  for (let i = 0; i < iterations; i++) await run()
  const used = process.cpuUsage(before)
  return (used.user + used.system) / iterations
}

const jwtConfig = (fields: Partial<JwtAuthConfig>): JwtAuthConfig => ({
  algorithms: [],
  allowed_hosts: [],
  jwks_cache: 600_000,
  jwks_cooldown: 30_000,
  jwks_timeout: 5_000,
  issuer: "https://idp.bench/",
  audience: "hookstream",
  clock_tolerance: 30_000,
  required_claims: [],
  ...fields
})

export interface CheckCost {
  readonly check: string
  readonly microsPerRequest: number
}

export const measureCheckCosts = async (body: string, iterations = 5_000): Promise<ReadonlyArray<CheckCost>> => {
  const rows: Array<CheckCost> = []
  const bytes = Buffer.from(body)
  const hmac = makeHmacCheck({ style: "github", secrets: [Redacted.make("bench")], tolerance: 300_000 })
  const headers = { "x-hub-signature-256": `sha256=${createHmac("sha256", "bench").update(bytes).digest("hex")}` }
  rows.push({
    check: "hmac github (baseline)",
    microsPerRequest: await cpuMicros(iterations, () => hmac(headers, bytes, 0))
  })

  const sign = (key: Parameters<SignJWT["sign"]>[0], alg: string) =>
    new SignJWT({ sub: "shop" })
      .setProtectedHeader({ alg })
      .setIssuer("https://idp.bench/")
      .setAudience("hookstream")
      .setExpirationTime("1h")
      .sign(key)
  const secret = "bench-secret-of-at-least-32-bytes!!"
  const hs = makeJwtCheck(jwtConfig({ algorithms: ["HS256"], secrets: [Redacted.make(secret)] }))
  const hsToken = `Bearer ${await sign(new TextEncoder().encode(secret), "HS256")}`
  rows.push({ check: "jwt HS256", microsPerRequest: await cpuMicros(iterations, () => hs(hsToken)) })
  for (const alg of ["RS256", "ES256", "EdDSA"] as const) {
    const pair = await generateKeyPair(alg)
    const check = makeJwtCheck(jwtConfig({ algorithms: [alg], public_keys: [await exportSPKI(pair.publicKey)] }))
    const token = `Bearer ${await sign(pair.privateKey, alg)}`
    if ((await check(token)) !== "pass") throw new Error(`${alg} token did not verify`)
    rows.push({ check: `jwt ${alg}`, microsPerRequest: await cpuMicros(iterations, () => check(token)) })
  }
  const compiled = compilePayloadSchema(BENCH_SCHEMA)
  if (!compiled.ok) throw new Error(compiled.problem)
  const document: unknown = JSON.parse(body)
  if (compiled.contract.check(document).length > 0) throw new Error("the bench body does not match BENCH_SCHEMA")
  rows.push({
    check: "payload_schema (~1 KiB body)",
    microsPerRequest: await cpuMicros(iterations * 10, () => compiled.contract.check(document))
  })
  return rows
}
