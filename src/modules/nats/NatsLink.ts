/**
 * One NATS connection for a nats connection entry, shared by every delivery through it,
 * with one wildcard reply subscription for JetStream acks.
 *
 * Why not `js.publish`: it is a request whose timer cannot be cancelled, so an interrupted
 * send would leave a timer and a pending request behind until the ack or the timeout. Here a
 * publish registers its reply subject in a map; an interruption, a dropped connection or the
 * ack timeout removes it, so nothing outlives the send.
 *
 * The connection opens in `make` or on the first send, and again on a later send after it
 * closed for good; between those, nats.js reconnects by itself, and a send while it is
 * disconnected fails at once rather than sitting in the reconnect buffer.
 */
import type { MsgHdrs, NatsConnection, NodeConnectionOptions } from "@nats-io/transport-node"
import { connect, createInbox } from "@nats-io/transport-node"
import { destinationError } from "../../domain/DestinationError.ts"

/** a JetStream reply: a PubAck, or an API error */
export interface JsReply {
  readonly stream?: string
  readonly seq?: number
  readonly duplicate?: boolean
  readonly error?: { readonly code?: number; readonly err_code?: number; readonly description?: string }
  /** nobody answered: no stream captures the subject, or JetStream is down */
  readonly noResponders?: true
}

export interface NatsLink {
  readonly open: () => Promise<void>
  /** publishes with a reply subject and waits for the stream's answer (bounded by `ackTimeoutMs`) */
  readonly request: (subject: string, data: Uint8Array, headers: MsgHdrs, signal: AbortSignal) => Promise<JsReply>
  /** publishes and waits for the server to have processed it (PING/PONG) */
  readonly publish: (subject: string, data: Uint8Array, headers: MsgHdrs, signal: AbortSignal) => Promise<void>
  /** the live connection, for JetStream management calls */
  readonly connection: (signal: AbortSignal) => Promise<NatsConnection>
  readonly close: () => Promise<void>
}

interface Live {
  readonly nc: NatsConnection
  readonly inbox: string
  readonly replies: Map<string, { readonly settle: (reply: JsReply | Error) => void }>
  connected: boolean
}

/** Rejects as soon as the signal aborts; the awaited work goes on for the next caller. */
const raceAbort = <A>(promise: Promise<A>, signal: AbortSignal): Promise<A> =>
  new Promise<A>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const onAbort = () => reject(signal.reason)
    signal.addEventListener("abort", onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    )
  })

const decoder = new TextDecoder()

export const makeNatsLink = (options: NodeConnectionOptions, ackTimeoutMs: number): NatsLink => {
  let closed = false
  let current: Promise<Live> | undefined
  let sequence = 0

  const failAll = (live: Live, error: Error) => {
    for (const { settle } of [...live.replies.values()]) settle(error)
  }

  const openLive = (): Promise<Live> => {
    if (current !== undefined) return current
    if (closed) return Promise.reject(destinationError("unavailable", "nats: the destination is closing"))
    const opening = connect(options).then((nc) => {
      if (closed) {
        void nc.close()
        throw destinationError("unavailable", "nats: the destination is closing")
      }
      const live: Live = { nc, inbox: createInbox(), replies: new Map(), connected: true }
      nc.subscribe(`${live.inbox}.*`, {
        callback: (_error, msg) => {
          const noResponders = msg.data.length === 0 && msg.headers?.code === 503
          let reply: JsReply | Error
          try {
            reply = noResponders ? { noResponders: true } : (JSON.parse(decoder.decode(msg.data)) as JsReply)
          } catch {
            reply = destinationError("unknown", "nats: the JetStream ack was not JSON")
          }
          live.replies.get(msg.subject)?.settle(reply)
        }
      })
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === "disconnect") {
            live.connected = false
            failAll(live, destinationError("unreachable", "nats: the connection dropped before the ack"))
          } else if (status.type === "reconnect") {
            live.connected = true
          }
        }
      })()
      void nc.closed().then(() => {
        live.connected = false
        failAll(live, destinationError("unreachable", "nats: the connection closed before the ack"))
        if (current === opening) current = undefined
      })
      return live
    })
    opening.catch(() => {
      if (current === opening) current = undefined
    })
    current = opening
    return opening
  }

  const connected = async (signal: AbortSignal): Promise<Live> => {
    const live = await raceAbort(openLive(), signal)
    signal.throwIfAborted()
    if (!live.connected) throw destinationError("unreachable", "nats: not connected to the server (reconnecting)")
    return live
  }

  const request: NatsLink["request"] = async (subject, data, headers, signal) => {
    const live = await connected(signal)
    return new Promise<JsReply>((resolve, reject) => {
      const replyTo = `${live.inbox}.${++sequence}`
      const settle = (reply: JsReply | Error) => {
        live.replies.delete(replyTo)
        clearTimeout(timer)
        signal.removeEventListener("abort", onAbort)
        if (reply instanceof Error) reject(reply)
        else resolve(reply)
      }
      const onAbort = () => settle(signal.reason instanceof Error ? signal.reason : new Error("aborted"))
      const timer = setTimeout(
        () => settle(destinationError("timeout", `nats: no JetStream ack within ${ackTimeoutMs} ms`)),
        ackTimeoutMs
      )
      live.replies.set(replyTo, { settle })
      signal.addEventListener("abort", onAbort, { once: true })
      try {
        live.nc.publish(subject, data, { reply: replyTo, headers })
      } catch (error) {
        settle(error instanceof Error ? error : new Error(String(error)))
      }
    })
  }

  const publish: NatsLink["publish"] = async (subject, data, headers, signal) => {
    const live = await connected(signal)
    live.nc.publish(subject, data, { headers })
    await raceAbort(live.nc.flush(), signal)
  }

  const close = async (): Promise<void> => {
    closed = true
    const live = await current?.catch(() => undefined)
    current = undefined
    if (live === undefined) return
    failAll(live, destinationError("unavailable", "nats: the destination is closing"))
    // drain flushes what was published, then closes; a disconnected client just closes
    await (live.connected ? live.nc.drain() : live.nc.close()).catch(() => live.nc.close())
  }

  return {
    open: async () => {
      await openLive()
    },
    request,
    publish,
    connection: async (signal) => (await connected(signal)).nc,
    close
  }
}
