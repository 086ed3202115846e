import { PassThrough, Readable } from "node:stream"
import { describe, expect, it } from "vitest"
import { readBody } from "../../../src/ingress/readBody.ts"

const statusOf = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: { statusCode?: number }) => error.statusCode
  )

describe("a request body read up to its stream's limit", () => {
  it("the exact bytes, in one buffer, up to and at the limit", async () => {
    const body = await readBody(Readable.from([Buffer.from("ab"), Buffer.from([0, 255])]), "4", 4)
    expect([...body]).toEqual([0x61, 0x62, 0, 255])
    expect((await readBody(Readable.from([Buffer.from("{}")]), undefined, 2)).toString()).toBe("{}")
  })

  it("a declared length over the limit → 413 before a byte is read", async () => {
    const payload = new PassThrough()
    payload.write("x".repeat(10))
    expect(await statusOf(readBody(payload, "11", 10))).toBe(413)
    expect(payload.readableLength).toBe(10)
  })

  it("a body that grows past the limit (chunked) → 413 at the chunk that crosses it, nothing more read", async () => {
    const payload = new PassThrough()
    const reading = statusOf(readBody(payload, undefined, 10))
    payload.write("x".repeat(8))
    payload.write("y".repeat(3))
    expect(await reading).toBe(413)
    payload.write("z")
    // no listener is left: the stream no longer feeds a buffer
    expect(payload.listenerCount("data")).toBe(0)
  })

  it("a body of another length than declared → 400; a stream error → 400", async () => {
    expect(await statusOf(readBody(Readable.from([Buffer.from("abc")]), "4", 10))).toBe(400)
    const failing = new PassThrough()
    const reading = statusOf(readBody(failing, "4", 10))
    failing.destroy(new Error("aborted"))
    expect(await reading).toBe(400)
  })
})
