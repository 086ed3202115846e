/**
 * `Authorization: Bearer <token>` against the stream's tokens (several during a rotation).
 * Tokens are hashed once at startup; a request costs one SHA-256 and one constant-time
 * comparison per configured token.
 */
import { Redacted } from "effect"
import { matchesAnyDigest, sha256 } from "./constantTime.ts"

const BEARER = /^Bearer[ \t]+([\x21-\x7e]+)[ \t]*$/i

export type BearerCheck = (authorization: string | undefined) => boolean

export const makeBearerCheck = (config: { readonly tokens: ReadonlyArray<Redacted.Redacted<string>> }): BearerCheck => {
  const digests = config.tokens.map((token) => sha256(Redacted.value(token)))
  return (authorization) => {
    const token = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1]
    // hash something even without a token, so a missing header costs the same as a wrong one
    const matched = matchesAnyDigest(token ?? "", digests)
    return matched && token !== undefined
  }
}
