/**
 * Standard Webhooks signing (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256>`
 * over `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the base64-decoded secret. Secrets
 * are written `whsec_<base64>`; the bare base64 form is accepted as the reference libraries do.
 */
import { createHmac } from "node:crypto"

/** The HMAC key of a signing secret, or `undefined` when it is not base64 (checked in `make`). */
export const signingKey = (secret: string): Buffer | undefined => {
  const encoded = secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret
  if (encoded === "" || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined
  return Buffer.from(encoded, "base64")
}

/** `v1,<signature>` for one message; `timestamp` in whole seconds since the epoch. */
export const signStandardWebhook = (key: Buffer, id: string, timestamp: number, body: string | Uint8Array): string => {
  const hmac = createHmac("sha256", key)
  hmac.update(`${id}.${timestamp}.`)
  hmac.update(body)
  return `v1,${hmac.digest("base64")}`
}
