// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config values use the literal ${VAR} syntax
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { only, problems, stream, validate } from "./fixtures.ts"

const withIngress = (ingress: unknown, env: Record<string, string> = {}) =>
  validate(stream([{ module: "log" }], { ingress }), { env })

describe("ingress section", () => {
  it("decodes every auth method together, secrets as Redacted, with defaults", () => {
    const { ingress } = only(
      withIngress(
        {
          auth: {
            bearer: { tokens: ["${TOKEN}", "old-token"] },
            hmac: { style: "github", secrets: ["${GH_SECRET}"] },
            ip_allowlist: ["10.0.0.0/8", "2001:db8::/32", "192.168.1.7"]
          },
          key: "/customer/id",
          rate_limit: { per_second: 20 }
        },
        { TOKEN: "t1", GH_SECRET: "s1" }
      )
    )
    expect(ingress?.enabled).toBe(true)
    expect(ingress?.allow_raw).toBe(false)
    expect(ingress?.auth.hmac?.tolerance).toBe(300_000)
    expect(ingress?.rate_limit).toEqual({ per_second: 20, per_ip: false })
    expect(ingress?.auth.bearer?.tokens.map((t) => Redacted.value(t))).toEqual(["t1", "old-token"])
    expect(JSON.stringify(ingress)).not.toMatch(/t1|old-token|s1/)
    const basic = only(withIngress({ auth: { basic: { users: [{ username: "shop", password: "pw" }] } } })).ingress
    expect(basic?.auth.basic?.users.map((u) => [u.username, Redacted.value(u.password)])).toEqual([["shop", "pw"]])
    expect(JSON.stringify(basic)).not.toMatch(/"pw"/)
  })

  it("rejects bearer and basic together: both read the one Authorization header", () => {
    expect(
      problems(
        withIngress({
          auth: { bearer: { tokens: ["t"] }, basic: { users: [{ username: "u", password: "p" }] } }
        })
      )
    ).toEqual([
      "ingress.auth: bearer and basic both use the Authorization header, so no request could pass both; keep one"
    ])
  })

  it("rejects unknown styles, bad CIDRs, bad pointers, empty secret lists and repeated users", () => {
    expect(
      problems(
        withIngress({
          auth: {
            bearer: { tokens: [] },
            hmac: { style: "gitlab", secrets: ["s"], tolerance: "2h" },
            ip_allowlist: ["10.0.0.0/33", "example.com"]
          },
          key: "customer.id",
          rate_limit: { per_second: 0, per_ip: "yes" }
        })
      )
    ).toEqual([
      "ingress.auth.bearer.tokens: expected at least one token (list several to rotate without downtime), got a list",
      "ingress.auth.hmac.style: expected one of 'github', 'stripe', 'standard_webhooks', got 'gitlab' (did you mean 'github'?)",
      "ingress.auth.hmac.tolerance: expected a duration of at most 1h, got '2h'",
      "ingress.auth.ip_allowlist.0: expected a prefix length between 0 and 32 in '10.0.0.0/33'",
      "ingress.auth.ip_allowlist.1: expected an IP address or CIDR such as 10.0.0.0/8, got 'example.com'",
      "ingress.key: expected a JSON Pointer such as /customer/id, got 'customer.id'",
      "ingress.rate_limit.per_ip: expected true or false, got 'yes'",
      "ingress.rate_limit.per_second: expected a number between 0.01 and 100000, got 0"
    ])
  })

  it("decodes an API key in a header or the query, keys as Redacted", () => {
    const header = only(withIngress({ auth: { api_key: { header: "X-API-Key", keys: ["${K}", "k2"] } } }, { K: "k1" }))
    expect(header.ingress?.auth.api_key?.header).toBe("X-API-Key")
    expect(header.ingress?.auth.api_key?.keys.map((k) => Redacted.value(k))).toEqual(["k1", "k2"])
    expect(JSON.stringify(header.ingress)).not.toMatch(/k1|k2/)
    expect(
      only(withIngress({ auth: { api_key: { query: "api_key", keys: ["k"] } } })).ingress?.auth.api_key?.query
    ).toBe("api_key")
  })

  it("rejects an API key with both or neither place, a credential header, a bad parameter name, no keys", () => {
    expect(problems(withIngress({ auth: { api_key: { header: "x-key", query: "key", keys: ["k"] } } }))).toEqual([
      "ingress.auth.api_key: set exactly one of header or query: where the key is read from"
    ])
    expect(problems(withIngress({ auth: { api_key: { keys: ["k"] } } }))).toEqual([
      "ingress.auth.api_key: set exactly one of header or query: where the key is read from"
    ])
    expect(problems(withIngress({ auth: { api_key: { header: "Authorization", keys: [] } } }))).toEqual([
      "ingress.auth.api_key.header: 'Authorization' carries other credentials; use bearer for Authorization, or another header",
      "ingress.auth.api_key.keys: expected at least one key (list several to rotate without downtime), got a list"
    ])
    expect(problems(withIngress({ auth: { api_key: { query: "a&b", keys: ["k"] } } }))).toEqual([
      "ingress.auth.api_key.query: expected a query parameter name (letters, digits, . _ ~ -), got 'a&b'"
    ])
  })

  it("rejects a user listed twice", () => {
    const users = [
      { username: "a", password: "x" },
      { username: "a", password: "y" }
    ]
    expect(problems(withIngress({ auth: { basic: { users } } }))).toEqual([
      "ingress.auth.basic.users: user 'a' is listed twice"
    ])
  })

  it("never echoes a secret that has the wrong shape", () => {
    const lines = problems(withIngress({ auth: { bearer: { tokens: [12345678] } } }))
    expect(lines).toEqual(["ingress.auth.bearer.tokens.0: expected a non-empty secret (tip: write it as ${VAR})"])
  })
})

describe("ingress.auth.jwt", () => {
  const jwt = (fields: Record<string, unknown>) =>
    problems(withIngress({ auth: { jwt: { issuer: "https://idp.test/", audience: "hs", ...fields } } }))
  const pem =
    "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----"

  it("decodes secrets as Redacted with the defaults", () => {
    const decoded = only(
      withIngress(
        { auth: { jwt: { algorithms: ["HS256"], secrets: ["${S}"], issuer: "i", audience: "a" } } },
        { S: "s1" }
      )
    ).ingress?.auth.jwt
    expect(decoded).toMatchObject({
      clock_tolerance: 30_000,
      jwks_cache: 600_000,
      jwks_cooldown: 30_000,
      jwks_timeout: 5_000
    })
    expect(JSON.stringify(decoded)).not.toContain("s1")
    expect(jwt({ algorithms: ["EdDSA"], public_keys: [pem] })).toEqual([])
    expect(jwt({ algorithms: ["RS256"], jwks_url: "https://idp.example.com/jwks.json" })).toEqual([])
  })

  it("refuses none, mixing HS with public-key algorithms, keys that do not fit the algorithms, bad PEM", () => {
    expect(jwt({ algorithms: ["none"], secrets: ["s"] })[0]).toMatch(
      /^ingress\.auth\.jwt\.algorithms\.0: expected one of 'HS256'/
    )
    expect(jwt({ algorithms: ["HS256", "RS256"], public_keys: [pem] })).toEqual([
      "ingress.auth.jwt: HS* and public-key algorithms cannot be mixed (a token could then be MACed with the public key)"
    ])
    expect(jwt({ algorithms: ["RS256"], secrets: ["s"] })).toEqual([
      "ingress.auth.jwt: secrets verify HS256/HS384/HS512 only; RS256 need public_keys or jwks_url"
    ])
    expect(jwt({ algorithms: ["HS256"], public_keys: [pem] })).toEqual(["ingress.auth.jwt: HS256 verify with secrets"])
    expect(jwt({ algorithms: ["RS256"] })).toEqual([
      "ingress.auth.jwt: set exactly one of secrets (HS*), public_keys or jwks_url"
    ])
    expect(jwt({ algorithms: ["RS256"], public_keys: ["not a key"] })).toEqual([
      "ingress.auth.jwt.public_keys.0: expected a public key in PEM (-----BEGIN PUBLIC KEY-----…)"
    ])
  })

  it("a JWKS URL follows the http destination's SSRF rules: private addresses only through allowed_hosts", () => {
    expect(jwt({ algorithms: ["RS256"], jwks_url: "http://127.0.0.1:8080/jwks" })).toEqual([
      "ingress.auth.jwt: jwks_url: address 127.0.0.1 is loopback; list it in allowed_hosts to call it"
    ])
    expect(jwt({ algorithms: ["RS256"], jwks_url: "http://169.254.169.254/jwks" })[0]).toContain(
      "cloud metadata endpoint"
    )
    expect(
      jwt({ algorithms: ["RS256"], jwks_url: "http://127.0.0.1:8080/jwks", allowed_hosts: ["127.0.0.1"] })
    ).toEqual([])
    expect(
      jwt({ algorithms: ["RS256"], jwks_url: "https://idp.example.com/jwks", allowed_hosts: ["other.example.com"] })
    ).toEqual(["ingress.auth.jwt: the jwks_url's host 'idp.example.com' is not in allowed_hosts"])
  })

  it("jwt, bearer and basic all read the Authorization header: only one of them", () => {
    expect(
      problems(
        withIngress({
          auth: {
            bearer: { tokens: ["t"] },
            jwt: { algorithms: ["HS256"], secrets: ["s"], issuer: "i", audience: "a" }
          }
        })
      )
    ).toEqual([
      "ingress.auth: bearer and jwt both use the Authorization header, so no request could pass both; keep one"
    ])
  })
})
