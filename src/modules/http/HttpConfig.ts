/**
 * The http destination's config and connection schemas, apart from its runtime (http.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { rule, withDefault } from "../../schema/Checks.ts"
import { connectionEntry } from "../../schema/ConnectionCommon.ts"
import { Duration } from "../../schema/Duration.ts"
import { hostAllowed } from "../../schema/HostAllowlist.ts"
import { HeaderName, HeaderValue, HostOrCidr, HttpUrl } from "../../schema/Identifiers.ts"
import { Secret } from "../../schema/Secret.ts"

export const HttpConfig = Schema.Struct({
  url: HttpUrl,
  method: withDefault(Schema.Literals(["POST", "PUT", "PATCH"]), "POST"),
  headers: withDefault(Schema.Record(HeaderName, HeaderValue), {}),
  /** per-request timeout; at most the chain timeout (checked when the stream loads) */
  timeout: Schema.optionalKey(Duration({ min: 1, max: 900_000, description: "Per-request timeout" })),
  allowed_hosts: withDefault(
    Schema.Array(HostOrCidr).annotate({
      description: "Hosts, *.domains, IPs or CIDRs this step may call, including private addresses"
    }),
    []
  ),
  /** event headers to pass on (`*` = all but hop-by-hop); none by default */
  forward_headers: withDefault(Schema.Array(HeaderName), [])
}).check(
  rule<{ readonly url: string; readonly allowed_hosts: ReadonlyArray<string> }>((config) => {
    if (config.allowed_hosts.length === 0) return undefined
    const host = new URL(config.url).hostname
    return hostAllowed(host, config.allowed_hosts) ? undefined : `the url's host '${host}' is not in allowed_hosts`
  })
)
export type HttpConfig = typeof HttpConfig.Type

export const HttpConnection = connectionEntry("http", {
  /** sent with every request, under the step's own headers; values are secrets (Authorization…) */
  headers: withDefault(Schema.Record(HeaderName, Secret), {}),
  /** Standard Webhooks signing secret (`whsec_…`): adds webhook-id/-timestamp/-signature headers */
  signing_secret: Schema.optionalKey(Secret)
})
export type HttpConnection = typeof HttpConnection.Type
