/**
 * The file name of a delivery: its idempotency key (`<webhook_id>:<event_id>:<module id>`,
 * domain/IdempotencyKey.ts) made safe for any POSIX file system, so the same delivery always
 * lands on the same name (a redelivery or replay overwrites rather than copies) and two
 * streams whose events share an id never write the same file.
 *
 * Letters, digits, `_`, `-` and `.` are kept; every other byte becomes `%XX` (upper-case hex,
 * so the key's `:` separators read `%3A`), and so does a leading `.` (no hidden files, no
 * `.`/`..`). The mapping is injective, so two keys never share a file. Event ids are at most
 * 200 printable characters and stream and module ids 64, so a key can encode to 800; a name
 * past 200 characters keeps a readable prefix and ends in a SHA-256 of the whole key, staying
 * well under the usual 255-byte limit.
 */
import { createHash } from "node:crypto"

const KEPT = /[A-Za-z0-9_.-]/
const MAX_NAME = 200

const percent = (byte: number): string => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`

export const encodeFileName = (text: string): string => {
  let out = ""
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte)
    out += byte < 0x80 && KEPT.test(char) && !(out === "" && char === ".") ? char : percent(byte)
  }
  return out
}

export const deliveryFileName = (idempotencyKey: string): string => {
  const encoded = encodeFileName(idempotencyKey)
  if (encoded.length <= MAX_NAME) return `${encoded}.json`
  const digest = createHash("sha256").update(idempotencyKey, "utf8").digest("hex")
  // cut before a %XX sequence, never inside one
  const prefix = encoded.slice(0, 100).replace(/%[0-9A-F]?$/, "")
  return `${prefix}~${digest}.json`
}
