/**
 * `Authorization: Basic base64(user:password)` (RFC 7617) against the stream's users. The
 * user name and the password are both compared in constant time against every configured
 * user, so timing reveals neither which user names exist nor which one matched.
 */

import { timingSafeEqual } from "node:crypto"
import { Redacted } from "effect"
import { sha256 } from "./constantTime.ts"

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i

export type BasicCheck = (authorization: string | undefined) => boolean

export interface BasicUser {
  readonly username: string
  readonly password: Redacted.Redacted<string>
}

/** `user:password` from the header, split at the first colon (user ids cannot contain one). */
export const parseBasic = (authorization: string | undefined): { user: string; password: string } | undefined => {
  const encoded = authorization === undefined ? undefined : BASIC.exec(authorization)?.[1]
  if (encoded === undefined) return undefined
  const decoded = Buffer.from(encoded, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export const makeBasicCheck = (config: { readonly users: ReadonlyArray<BasicUser> }): BasicCheck => {
  const users = config.users.map((u) => ({ user: sha256(u.username), password: sha256(Redacted.value(u.password)) }))
  return (authorization) => {
    const presented = parseBasic(authorization)
    const user = sha256(presented?.user ?? "")
    const password = sha256(presented?.password ?? "")
    let matched = 0
    for (const u of users) {
      matched |= (timingSafeEqual(user, u.user) ? 1 : 0) & (timingSafeEqual(password, u.password) ? 1 : 0)
    }
    return matched === 1 && presented !== undefined
  }
}
