/**
 * A request body, read up to the limit of the request's own stream rather than a route's: one
 * route serves every stream (a reload can add streams and change their limits, and fastify
 * adds no route after listen), so the limit is the one looked up when the request arrived.
 * As fastify's own reader does with a route's `bodyLimit`: a declared Content-Length over the
 * limit is refused before a byte is read; a body that grows past it (chunked, or longer than
 * declared) is refused at the chunk that crosses it, so no more than the limit is ever
 * buffered; a body of another length than declared is a 400. The errors are fastify's (413
 * `FST_ERR_CTP_BODY_TOO_LARGE`, 400 `FST_ERR_CTP_INVALID_CONTENT_LENGTH`): fastify answers
 * them with `Connection: close`, since the rest of the body was not read.
 */
import type { Readable } from "node:stream"
import { errorCodes } from "fastify"

export const readBody = (payload: Readable, contentLength: string | undefined, limit: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const declared = Number(contentLength)
    if (declared > limit) {
      reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
      return
    }
    const chunks: Array<Buffer> = []
    let received = 0
    const stop = () => {
      payload.removeListener("data", onData)
      payload.removeListener("end", onEnd)
      payload.removeListener("error", onError)
    }
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk
      received += bytes.length
      if (received > limit) {
        stop()
        reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE())
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      stop()
      if (!Number.isNaN(declared) && received !== declared) reject(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH())
      // a copy, never a view of the socket's read buffer
      else resolve(Buffer.concat(chunks, received))
    }
    const onError = (error: Error & { statusCode?: number }) => {
      stop()
      // the client's fault (aborted, malformed chunking), as fastify counts it
      if (!(typeof error.statusCode === "number" && error.statusCode >= 400)) error.statusCode = 400
      reject(error)
    }
    payload.on("data", onData)
    payload.on("end", onEnd)
    payload.on("error", onError)
    payload.resume()
  })
