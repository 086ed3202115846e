/**
 * HMAC verification against the providers' own published values, so the styles match what
 * GitHub, Stripe and Standard Webhooks senders really send:
 *  - GitHub: the worked example in "Validating webhook deliveries" (docs.github.com):
 *    secret "It's a Secret to Everybody", payload "Hello, World!".
 *  - Standard Webhooks: the `sign` test of the reference JavaScript library
 *    (standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts).
 *  - Stripe publishes no fixed vector; this one follows Stripe's documented scheme
 *    (HMAC-SHA256 of "<t>.<body>" keyed with the whole whsec_ secret, hex) and was computed
 *    with `openssl dgst -sha256 -hmac`, independently of this code.
 */
import { Redacted } from "effect"
import { describe, expect, it } from "vitest"
import { verifyGithub } from "../../../src/ingress/auth/githubSignature.ts"
import { makeHmacCheck, makeHmacHeaderCheck } from "../../../src/ingress/auth/hmac.ts"
import { standardWebhooksKey, verifyStandardWebhooks } from "../../../src/ingress/auth/standardWebhooksSignature.ts"
import { parseStripeSignature, verifyStripe } from "../../../src/ingress/auth/stripeSignature.ts"

const FIVE_MINUTES = 5 * 60_000

describe("GitHub X-Hub-Signature-256", () => {
  const secret = Buffer.from("It's a Secret to Everybody")
  const body = Buffer.from("Hello, World!")
  const documented = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

  it("accepts GitHub's documented example", () => {
    expect(verifyGithub([secret], { "x-hub-signature-256": documented }, body)).toBe(true)
  })

  it("accepts upper-case hex and surrounding spaces", () => {
    expect(
      verifyGithub(
        [secret],
        { "x-hub-signature-256": ` ${documented.toUpperCase().replace("SHA256", "sha256")} ` },
        body
      )
    ).toBe(true)
  })

  it("rejects a wrong secret, a changed body, a missing or malformed header, and the legacy SHA-1 prefix", () => {
    expect(verifyGithub([Buffer.from("another secret")], { "x-hub-signature-256": documented }, body)).toBe(false)
    expect(verifyGithub([secret], { "x-hub-signature-256": documented }, Buffer.from("Hello, World?"))).toBe(false)
    expect(verifyGithub([secret], {}, body)).toBe(false)
    expect(verifyGithub([secret], { "x-hub-signature-256": documented.slice(0, -2) }, body)).toBe(false)
    expect(verifyGithub([secret], { "x-hub-signature-256": documented.replace("sha256=", "sha1=") }, body)).toBe(false)
  })

  it("accepts any of several secrets (rotation)", () => {
    expect(verifyGithub([Buffer.from("new secret"), secret], { "x-hub-signature-256": documented }, body)).toBe(true)
  })

  it("through the stream config: github style reads the secret as UTF-8", () => {
    const check = makeHmacCheck({
      style: "github",
      secrets: [Redacted.make("It's a Secret to Everybody")],
      tolerance: FIVE_MINUTES
    })
    expect(check({ "x-hub-signature-256": documented }, body, Date.now())).toBe(true)
  })
})

describe("Stripe-Signature", () => {
  const secret = "whsec_test_secret"
  const body = Buffer.from('{"id":"evt_test_webhook","object":"event"}')
  const t = 1614265330
  const v1 = "3c5817089d739023dd6190f70a3757e04f7a2fd8b5dab12c2e000f51970dccff"
  const at = (seconds: number) => seconds * 1000
  const keys = [Buffer.from(secret)]

  it("accepts the vector at its own time and within the tolerance either side", () => {
    const header = { "stripe-signature": `t=${t},v1=${v1}` }
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), header, body)).toBe(true)
    expect(verifyStripe(keys, FIVE_MINUTES, at(t + 300), header, body)).toBe(true)
    expect(verifyStripe(keys, FIVE_MINUTES, at(t - 300), header, body)).toBe(true)
  })

  it("rejects a replay older than the tolerance, and a stamp too far in the future", () => {
    const header = { "stripe-signature": `t=${t},v1=${v1}` }
    expect(verifyStripe(keys, FIVE_MINUTES, at(t + 301), header, body)).toBe(false)
    expect(verifyStripe(keys, FIVE_MINUTES, at(t - 301), header, body)).toBe(false)
  })

  it("rejects a changed timestamp (it is signed), a wrong secret, a changed body, a missing header", () => {
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), { "stripe-signature": `t=${t + 1},v1=${v1}` }, body)).toBe(false)
    expect(
      verifyStripe([Buffer.from("whsec_other")], FIVE_MINUTES, at(t), { "stripe-signature": `t=${t},v1=${v1}` }, body)
    ).toBe(false)
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), { "stripe-signature": `t=${t},v1=${v1}` }, Buffer.from("{}"))).toBe(
      false
    )
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), {}, body)).toBe(false)
  })

  it("accepts when any v1 matches (Stripe sends one per active secret while rolling); v0 never counts", () => {
    const other = "0".repeat(64)
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), { "stripe-signature": `t=${t},v1=${other},v1=${v1}` }, body)).toBe(
      true
    )
    expect(verifyStripe(keys, FIVE_MINUTES, at(t), { "stripe-signature": `t=${t},v0=${v1}` }, body)).toBe(false)
    expect(
      verifyStripe(
        [Buffer.from("whsec_old"), ...keys],
        FIVE_MINUTES,
        at(t),
        { "stripe-signature": `t=${t},v1=${v1}` },
        body
      )
    ).toBe(true)
  })

  it("parses the header's parts and ignores what it does not know", () => {
    expect(parseStripeSignature(`t=${t}, v1=${v1}, v0=abc, x=1`)).toEqual({
      timestamp: t,
      signatures: [Buffer.from(v1, "hex")]
    })
    expect(parseStripeSignature(`v1=${v1}`)).toBeUndefined()
    expect(parseStripeSignature(`t=${t}`)).toBeUndefined()
    expect(parseStripeSignature("garbage")).toBeUndefined()
  })
})

describe("Standard Webhooks", () => {
  const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
  const id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
  const t = 1614265330
  const body = Buffer.from('{"test": 2432232314}')
  const signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
  const headers = (overrides: Record<string, string> = {}) => ({
    "webhook-id": id,
    "webhook-timestamp": String(t),
    "webhook-signature": signature,
    ...overrides
  })
  const keys = [standardWebhooksKey(secret)]

  it("accepts the reference library's signing vector, with or without the whsec_ prefix", () => {
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, t * 1000, headers(), body)).toBe(true)
    expect(
      verifyStandardWebhooks([standardWebhooksKey(secret.slice(6))], FIVE_MINUTES, t * 1000, headers(), body)
    ).toBe(true)
  })

  it("accepts a list of signatures (rotation) when one of them matches, as the spec's multi-sig case", () => {
    const list = [
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
      "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
      signature,
      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    ].join(" ")
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, t * 1000, headers({ "webhook-signature": list }), body)).toBe(
      true
    )
  })

  it("accepts any of several configured secrets", () => {
    const other = standardWebhooksKey(`whsec_${Buffer.from("another key of ours").toString("base64")}`)
    expect(verifyStandardWebhooks([other, ...keys], FIVE_MINUTES, t * 1000, headers(), body)).toBe(true)
  })

  it("rejects replays past the tolerance and stamps from the future", () => {
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, (t + 301) * 1000, headers(), body)).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, (t - 301) * 1000, headers(), body)).toBe(false)
  })

  it("rejects a missing id, timestamp or signature, a changed id, partial or other-version signatures", () => {
    const { "webhook-id": _i, ...noId } = headers()
    const { "webhook-timestamp": _t, ...noStamp } = headers()
    const { "webhook-signature": _s, ...noSignature } = headers()
    const now = t * 1000
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, noId, body)).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, noStamp, body)).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, noSignature, body)).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, headers({ "webhook-id": "msg_other" }), body)).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, headers({ "webhook-timestamp": "hello" }), body)).toBe(false)
    expect(
      verifyStandardWebhooks(keys, FIVE_MINUTES, now, headers({ "webhook-signature": signature.slice(0, 8) }), body)
    ).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, headers({ "webhook-signature": "v1," }), body)).toBe(false)
    expect(
      verifyStandardWebhooks(
        keys,
        FIVE_MINUTES,
        now,
        headers({ "webhook-signature": signature.replace("v1,", "v2,") }),
        body
      )
    ).toBe(false)
    expect(verifyStandardWebhooks(keys, FIVE_MINUTES, now, headers(), Buffer.from('{"test": 2432232315}'))).toBe(false)
  })

  it("through the stream config: the tolerance is the configured one", () => {
    const check = makeHmacCheck({ style: "standard_webhooks", secrets: [Redacted.make(secret)], tolerance: 10_000 })
    expect(check(headers(), body, (t + 10) * 1000)).toBe(true)
    expect(check(headers(), body, (t + 11) * 1000)).toBe(false)
  })
})

describe("what the signature headers tell before the body is read", () => {
  const now = 1_700_000_000_000
  const seconds = now / 1000
  const config = (style: "github" | "stripe" | "standard_webhooks") =>
    makeHmacHeaderCheck({ style, secrets: [Redacted.make("whsec_x")], tolerance: FIVE_MINUTES })

  it("a missing, malformed or stale signature header fails; a well-formed, fresh one passes (unverified)", () => {
    const github = config("github")
    expect(github({ "x-hub-signature-256": `sha256=${"ab".repeat(32)}` }, now)).toBe(true)
    for (const value of [undefined, "", "sha1=abc", `sha256=${"ab".repeat(31)}`, `sha256=${"zz".repeat(32)}`])
      expect(github(value === undefined ? {} : { "x-hub-signature-256": value }, now)).toBe(false)

    const stripe = config("stripe")
    const v1 = "ab".repeat(32)
    expect(stripe({ "stripe-signature": `t=${seconds},v1=${v1}` }, now)).toBe(true)
    expect(stripe({ "stripe-signature": `t=${seconds - 301},v1=${v1}` }, now)).toBe(false)
    expect(stripe({ "stripe-signature": `t=${seconds + 301},v1=${v1}` }, now)).toBe(false)
    expect(stripe({ "stripe-signature": `t=${seconds}` }, now)).toBe(false)
    expect(stripe({}, now)).toBe(false)

    const standard = config("standard_webhooks")
    const ok = { "webhook-id": "msg_1", "webhook-timestamp": String(seconds), "webhook-signature": "v1,AAAA" }
    expect(standard(ok, now)).toBe(true)
    expect(standard({ ...ok, "webhook-timestamp": String(seconds - 301) }, now)).toBe(false)
    expect(standard({ ...ok, "webhook-signature": "v2,AAAA" }, now)).toBe(false)
    expect(standard({ ...ok, "webhook-id": "" }, now)).toBe(false)
  })
})
