/**
 * The Kafka key (the ordering key) from the stream's `ingress.key` JSON Pointer (RFC 6901)
 * into the payload. A string is used as is, a number or boolean as its JSON text; a missing
 * member, `null`, an object or an array gives no key (the record is then spread over the
 * partitions with no ordering promise). Only own properties are followed.
 */

export const resolvePointer = (document: unknown, pointer: string): unknown => {
  if (pointer === "") return document
  let current: unknown = document
  for (const raw of pointer.slice(1).split("/")) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~")
    if (Array.isArray(current)) {
      if (!/^(?:0|[1-9]\d*)$/.test(token)) return undefined
      current = current[Number(token)]
    } else if (typeof current === "object" && current !== null && Object.hasOwn(current, token)) {
      current = (current as Record<string, unknown>)[token]
    } else {
      return undefined
    }
  }
  return current
}

export const kafkaKeyFrom = (payload: unknown, pointer: string | undefined): string | null => {
  if (pointer === undefined) return null
  const value = resolvePointer(payload, pointer)
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean") return JSON.stringify(value)
  return null
}
