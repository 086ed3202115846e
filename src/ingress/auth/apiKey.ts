/**
 * `auth.api_key`: a key in a named header or query parameter, any of the listed keys (several
 * during a rotation). Keys are hashed once at startup and every one is compared in constant
 * time, as for bearer tokens. A query key never leaves the request: the envelope keeps no URL,
 * and the header a key arrives in is dropped from the envelope (`secretHeaders`).
 */
import { Redacted } from "effect"
import { headerValue, type RequestHeaders } from "../headers.ts"
import { matchesAnyDigest, sha256 } from "./constantTime.ts"

export interface ApiKeyConfig {
  readonly header?: string
  readonly query?: string
  readonly keys: ReadonlyArray<Redacted.Redacted<string>>
}

export type ApiKeyCheck = (headers: RequestHeaders, url: string) => boolean

/** The first value of query parameter `name` in a request target (`/path?a=1&b=2`). */
export const queryValue = (url: string, name: string): string | undefined => {
  const mark = url.indexOf("?")
  if (mark < 0) return undefined
  const hash = url.indexOf("#", mark)
  return new URLSearchParams(url.slice(mark + 1, hash < 0 ? undefined : hash)).get(name) ?? undefined
}

export const makeApiKeyCheck = (config: ApiKeyConfig): ApiKeyCheck => {
  const digests = config.keys.map((key) => sha256(Redacted.value(key)))
  const header = config.header?.toLowerCase()
  const query = config.query
  const presented = (headers: RequestHeaders, url: string): string | undefined =>
    header !== undefined
      ? headerValue(headers, header)?.trim()
      : query !== undefined
        ? queryValue(url, query)
        : undefined
  return (headers, url) => {
    const key = presented(headers, url)
    // hash something even without a key, so a missing key costs the same as a wrong one
    const matched = matchesAnyDigest(key ?? "", digests)
    return matched && key !== undefined && key !== ""
  }
}
