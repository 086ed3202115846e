/**
 * What a request body and its headers may be. Body size is the stream's limit (readBody.ts,
 * 413); these are the checks after it: the media type (JSON, or raw bytes where the stream
 * allows them, else 415), UTF-8, JSON validity and nesting depth (400), and the header count (431;
 * total header bytes are Node's `maxHeaderSize`, also 431).
 */
import { isUtf8 } from "node:buffer"
import { exceedsJsonDepth, MAX_JSON_DEPTH } from "../domain/JsonDepth.ts"

export const DEFAULT_MAX_HEADERS = 100
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024

/**
 * `application/json` and structured-syntax JSON types (`application/vnd.api+json`), any
 * parameters. A request without a Content-Type is read as JSON too: several senders omit it.
 */
export const isJsonMediaType = (contentType: string | undefined): boolean =>
  contentType === undefined || /^[ \t]*application\/(?:[\w.!#$&^-]+\+)?json[ \t]*(?:;|$)/i.test(contentType)

export type JsonBody =
  | { readonly ok: true; readonly text: string; readonly value: unknown }
  | { readonly ok: false; readonly problem: string }

/**
 * The body as JSON text and value. The text is what goes on the wire (numbers keep every
 * digit, key order and spelling stay the sender's); a UTF-8 byte order mark is dropped.
 * JSON exchanged between systems must be UTF-8 (RFC 8259 §8.1): bytes that are not are
 * refused, since decoding would replace them with U+FFFD and the text forwarded would no
 * longer be the text received.
 */
export const parseJsonBody = (body: Buffer): JsonBody => {
  if (!isUtf8(body)) return { ok: false, problem: "the body is not valid UTF-8" }
  let text = body.toString("utf8")
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, problem: "the body is not valid JSON" }
  }
  if (exceedsJsonDepth(value)) return { ok: false, problem: `the JSON nests deeper than ${MAX_JSON_DEPTH} levels` }
  return { ok: true, text, value }
}

/** Header fields in the request (Node's rawHeaders holds name and value in turn). */
export const headerCount = (rawHeaders: ReadonlyArray<string>): number => rawHeaders.length / 2
