/**
 * `ingress.auth.jwt`: a JSON Web Token in `Authorization: Bearer`, verified with jose. Keys are
 * HMAC secrets (HS256/384/512), public keys in PEM (RS256, ES256, EdDSA), or a JWKS URL
 * fetched through the http destination's SSRF rules (private addresses only when
 * `allowed_hosts` lists them). Symmetric and asymmetric algorithms never mix in one stream:
 * that is what the classic confusion (an HS256 token "signed" with the RSA public key) needs.
 */
import { createPublicKey } from "node:crypto"
import { Schema } from "effect"
import { hostRefusal } from "../modules/http/ssrfGuard.ts"
import { rule, text, uniqueList, withDefault } from "../schema/Checks.ts"
import { Duration } from "../schema/Duration.ts"
import { hostAllowed } from "../schema/HostAllowlist.ts"
import { HostOrCidr, HttpUrl } from "../schema/Identifiers.ts"
import { Secret } from "../schema/Secret.ts"

export const HMAC_ALGORITHMS = ["HS256", "HS384", "HS512"] as const
export const KEY_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const
export const JwtAlgorithm = Schema.Literals([...HMAC_ALGORITHMS, ...KEY_ALGORITHMS])
export type JwtAlgorithm = typeof JwtAlgorithm.Type

const PublicKeyPem = text(20_000).check(
  rule<string>((pem) => {
    try {
      createPublicKey(pem)
      return undefined
    } catch {
      return "expected a public key in PEM (-----BEGIN PUBLIC KEY-----…)"
    }
  })
)

export const JwtAuth = Schema.Struct({
  /** the algorithms accepted; `none` is never one of them */
  algorithms: uniqueList(JwtAlgorithm, "algorithm").check(
    Schema.isMinLength(1, { expected: "at least one algorithm" })
  ),
  /** HS*: the shared secrets (several during a rotation) */
  secrets: Schema.optionalKey(Schema.Array(Secret).check(Schema.isMinLength(1, { expected: "at least one secret" }))),
  /** RS256/ES256/EdDSA: public keys in PEM (several during a rotation) */
  public_keys: Schema.optionalKey(
    Schema.Array(PublicKeyPem).check(Schema.isMinLength(1, { expected: "at least one public key" }))
  ),
  /** RS256/ES256/EdDSA: the issuer's JSON Web Key Set; refetched when a token names an unknown kid */
  jwks_url: Schema.optionalKey(HttpUrl),
  /** hosts the JWKS may be fetched from, including private addresses (as the http destination's) */
  allowed_hosts: withDefault(Schema.Array(HostOrCidr), []),
  /** how long a fetched JWKS is used before it is fetched again */
  jwks_cache: withDefault(Duration({ min: 1_000, max: 86_400_000 }), "10m"),
  /** the least time between two fetches (an unknown kid refetches at most this often; at least 1s, so tokens cannot drive a fetch storm) */
  jwks_cooldown: withDefault(Duration({ min: 1_000, max: 3_600_000 }), "30s"),
  /** a JWKS fetch slower than this fails (the request is answered 503) */
  jwks_timeout: withDefault(Duration({ min: 100, max: 60_000 }), "5s"),
  /** the `iss` every token must carry */
  issuer: text(2_000),
  /** the `aud` every token must carry (one of them, when it is a list) */
  audience: text(2_000),
  /** leeway for `exp` and `nbf` (tokens must carry `exp`) */
  clock_tolerance: withDefault(Duration({ max: 600_000 }), "30s"),
  /** claims every token must carry, beyond iss, aud and exp */
  required_claims: withDefault(Schema.Array(text(100)), [])
}).check(
  rule<{
    readonly algorithms: ReadonlyArray<string>
    readonly secrets?: unknown
    readonly public_keys?: unknown
    readonly jwks_url?: string
    readonly allowed_hosts: ReadonlyArray<string>
  }>((jwt) => {
    const hmac = jwt.algorithms.filter((a) => (HMAC_ALGORITHMS as ReadonlyArray<string>).includes(a))
    const sources = [jwt.secrets, jwt.public_keys, jwt.jwks_url].filter((s) => s !== undefined).length
    if (hmac.length > 0 && hmac.length < jwt.algorithms.length)
      return "HS* and public-key algorithms cannot be mixed (a token could then be MACed with the public key)"
    if (sources !== 1) return "set exactly one of secrets (HS*), public_keys or jwks_url"
    if (hmac.length > 0 && jwt.secrets === undefined) return `${hmac.join(", ")} verify with secrets`
    if (hmac.length === 0 && jwt.secrets !== undefined)
      return `secrets verify HS256/HS384/HS512 only; ${jwt.algorithms.join(", ")} need public_keys or jwks_url`
    if (jwt.jwks_url === undefined)
      return jwt.allowed_hosts.length > 0 ? "allowed_hosts applies only to jwks_url" : undefined
    const host = new URL(jwt.jwks_url).hostname
    if (jwt.allowed_hosts.length > 0 && !hostAllowed(host, jwt.allowed_hosts))
      return `the jwks_url's host '${host}' is not in allowed_hosts`
    const refused = hostRefusal(host, jwt.allowed_hosts)
    return refused === undefined ? undefined : `jwks_url: ${refused}`
  })
)
export type JwtAuthConfig = typeof JwtAuth.Type
