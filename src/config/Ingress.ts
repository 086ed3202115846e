/**
 * The `ingress:` section of a stream: how the HTTP gateway (a later issue) accepts this
 * stream's webhooks. Defined and validated now so stream files never have to change.
 * Auth methods combine: every configured one must pass. Secrets decode to `Redacted`.
 */
import { Schema } from "effect"
import { intBetween, matching, numberBetween, rule, text, withDefault } from "../schema/Checks.ts"
import { Duration } from "../schema/Duration.ts"
import { Cidr, HeaderName, JsonPointer } from "../schema/Identifiers.ts"
import { Secret } from "../schema/Secret.ts"
import { JwtAuth } from "./JwtAuth.ts"

const secretList = (what: string) =>
  Schema.Array(Secret).check(
    Schema.isMinLength(1, { expected: `at least one ${what} (list several to rotate without downtime)` })
  )

export const BearerAuth = Schema.Struct({ tokens: secretList("token") })

export const BasicAuth = Schema.Struct({
  users: Schema.Array(Schema.Struct({ username: text(255), password: Secret })).check(
    Schema.isMinLength(1, { expected: "at least one user" }),
    rule<ReadonlyArray<{ readonly username: string }>>((users) => {
      const names = users.map((user) => user.username)
      const repeated = names.find((name, index) => names.indexOf(name) !== index)
      return repeated === undefined ? undefined : `user '${repeated}' is listed twice`
    })
  )
})

export const HmacAuth = Schema.Struct({
  /** github: X-Hub-Signature-256; stripe: Stripe-Signature; standard_webhooks: webhook-signature */
  style: Schema.Literals(["github", "stripe", "standard_webhooks"]),
  secrets: secretList("secret"),
  /** accepted clock skew for timestamped styles (stripe, standard_webhooks) */
  tolerance: withDefault(Duration({ min: 1000, max: 3_600_000 }), "5m")
})

/** Headers a request's own credentials travel in: an API key there would fight them. */
const CREDENTIAL_HEADERS = new Set(["authorization", "proxy-authorization", "cookie"])

export const ApiKeyAuth = Schema.Struct({
  /** the request header that carries the key (e.g. X-API-Key) */
  header: Schema.optionalKey(
    HeaderName.check(
      rule<string>((name) =>
        CREDENTIAL_HEADERS.has(name.toLowerCase())
          ? `'${name}' carries other credentials; use bearer for Authorization, or another header`
          : undefined
      )
    )
  ),
  /** the query parameter that carries the key (e.g. api_key), for senders that can set no header */
  query: Schema.optionalKey(matching(/^[A-Za-z0-9._~-]{1,100}$/u, "a query parameter name (letters, digits, . _ ~ -)")),
  keys: secretList("key")
}).check(
  rule<{ readonly header?: string; readonly query?: string }>((auth) =>
    (auth.header === undefined) === (auth.query === undefined)
      ? "set exactly one of header or query: where the key is read from"
      : undefined
  )
)

export const IngressAuth = Schema.Struct({
  bearer: Schema.optionalKey(BearerAuth),
  basic: Schema.optionalKey(BasicAuth),
  hmac: Schema.optionalKey(HmacAuth),
  api_key: Schema.optionalKey(ApiKeyAuth),
  jwt: Schema.optionalKey(JwtAuth),
  ip_allowlist: Schema.optionalKey(Schema.Array(Cidr).check(Schema.isMinLength(1, { expected: "at least one CIDR" })))
}).check(
  // they all read the one Authorization header, so a request could never satisfy two
  rule<{ readonly bearer?: unknown; readonly basic?: unknown; readonly jwt?: unknown }>((auth) => {
    const readers = (["bearer", "basic", "jwt"] as const).filter((name) => auth[name] !== undefined)
    if (readers.length < 2) return undefined
    const [both, all] = readers.length === 2 ? ["both", "both"] : ["all", "them all"]
    return `${readers.join(" and ")} ${both} use the Authorization header, so no request could pass ${all}; keep one`
  })
)

export const RateLimit = Schema.Struct({
  per_second: numberBetween(0.01, 100_000),
  /** bucket size; defaults to per_second rounded up */
  burst: Schema.optionalKey(intBetween(1, 1_000_000)),
  /** one bucket per client IP instead of one for the stream */
  per_ip: withDefault(Schema.Boolean, false)
})

export const Ingress = Schema.Struct({
  enabled: withDefault(Schema.Boolean, true),
  auth: withDefault(IngressAuth, {}),
  /** accept non-JSON bodies, forwarded as base64 (payload_encoding base64) */
  allow_raw: withDefault(Schema.Boolean, false),
  /** JSON Pointer into the payload whose value becomes the Kafka key (per-key ordering) */
  key: Schema.optionalKey(JsonPointer),
  rate_limit: Schema.optionalKey(RateLimit)
})
export type IngressConfig = typeof Ingress.Type
