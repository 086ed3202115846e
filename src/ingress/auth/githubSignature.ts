/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the
 * webhook secret as UTF-8. GitHub signs no timestamp, so there is no replay window to check;
 * a replayed delivery keeps its `X-GitHub-Delivery`, which becomes the event id.
 */
import { createHmac } from "node:crypto"
import { headerValue, type RequestHeaders } from "../headers.ts"
import { macEquals } from "./constantTime.ts"

export const GITHUB_SIGNATURE_HEADER = "x-hub-signature-256"
/** GitHub's id of a delivery, the same on its redeliveries (not covered by the signature) */
export const GITHUB_DELIVERY_HEADER = "x-github-delivery"
export const GITHUB_SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/

export const verifyGithub = (secrets: ReadonlyArray<Buffer>, headers: RequestHeaders, body: Buffer): boolean => {
  const match = GITHUB_SIGNATURE.exec(headerValue(headers, GITHUB_SIGNATURE_HEADER)?.trim() ?? "")
  const presented = match?.[1] === undefined ? undefined : Buffer.from(match[1], "hex")
  let matched = 0
  for (const secret of secrets) {
    const expected = createHmac("sha256", secret).update(body).digest()
    matched |= presented !== undefined && macEquals(presented, expected) ? 1 : 0
  }
  return matched === 1
}
