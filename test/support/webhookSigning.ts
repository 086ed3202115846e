/**
 * Signing webhooks the way each provider does, for tests that play the sender. Written from
 * the providers' documentation with node:crypto, independently of src/ingress/auth (whose
 * unit tests pin it to the providers' published vectors).
 */
import { createHmac } from "node:crypto"

/** GitHub: X-Hub-Signature-256 */
export const githubSignature = (secret: string, body: string | Buffer): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`

/** Stripe: Stripe-Signature for a body sent at `timestampSeconds` */
export const stripeSignature = (secret: string, body: string | Buffer, timestampSeconds: number): string =>
  `t=${timestampSeconds},v1=${createHmac("sha256", secret).update(`${timestampSeconds}.`).update(body).digest("hex")}`

/** Standard Webhooks: the three headers; `secret` is `whsec_<base64>` */
export const standardWebhooksHeaders = (
  secret: string,
  id: string,
  body: string | Buffer,
  timestampSeconds: number
): Record<string, string> => {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64")
  const mac = createHmac("sha256", key).update(`${id}.${timestampSeconds}.`).update(body).digest("base64")
  return { "webhook-id": id, "webhook-timestamp": String(timestampSeconds), "webhook-signature": `v1,${mac}` }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000)
