/**
 * The file name of an event: its id made safe for any POSIX file system, so the same event
 * always lands on the same name (a redelivery overwrites rather than copies).
 *
 * Letters, digits, `_`, `-` and `.` are kept; every other byte becomes `%XX` (upper-case hex),
 * and so does a leading `.` (no hidden files, no `.`/`..`). The mapping is injective, so two
 * ids never share a file. Ids are at most 200 printable characters, which can encode to 600;
 * a name past 200 characters keeps a readable prefix and ends in a SHA-256 of the whole id,
 * staying well under the usual 255-byte limit.
 */
import { createHash } from "node:crypto"

const KEPT = /[A-Za-z0-9_.-]/
const MAX_NAME = 200

const percent = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`

export const encodeEventId = (eventId: string): string => {
  let out = ""
  for (const byte of Buffer.from(eventId, "utf8")) {
    const char = String.fromCharCode(byte)
    out += byte < 0x80 && KEPT.test(char) && !(out === "" && char === ".") ? char : percent(byte)
  }
  return out
}

export const eventFileName = (eventId: string): string => {
  const encoded = encodeEventId(eventId)
  if (encoded.length <= MAX_NAME) return `${encoded}.json`
  const digest = createHash("sha256").update(eventId, "utf8").digest("hex")
  // cut before a %XX sequence, never inside one
  const prefix = encoded.slice(0, 100).replace(/%[0-9A-F]?$/, "")
  return `${prefix}~${digest}.json`
}
