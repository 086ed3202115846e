/** HTTP request headers as Node parses them: lower-case names, repeated ones as arrays. */
export type RequestHeaders = Readonly<Record<string, string | ReadonlyArray<string> | undefined>>

/** A header's value; a repeated header (which these never should be) reads as its first value. */
export const headerValue = (headers: RequestHeaders, name: string): string | undefined => {
  const value = headers[name]
  return typeof value === "string" ? value : value?.[0]
}
