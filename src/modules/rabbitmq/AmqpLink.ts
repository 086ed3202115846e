/**
 * One AMQP connection and one confirm channel for a rabbitmq connection entry, shared by
 * every delivery through it. Both open lazily and reopen on the next publish after they are
 * lost (broker restart, a channel closed by the broker), so one failure never poisons later
 * sends and no reconnect timer runs in the background: the engine's retries and circuit
 * breaker pace the attempts.
 *
 * `publish` resolves on the publisher confirm. It is `mandatory`, so a message no queue
 * receives comes back (basic.return, sent before its ack) and fails instead of vanishing.
 */
import type { ChannelModel, ConfirmChannel, Options, SocketOptions } from "amqplib"
import { connect } from "amqplib"
import { destinationError } from "../../domain/DestinationError.ts"

export interface AmqpTarget {
  /** "" is the default exchange, which routes to the queue named by the routing key */
  readonly exchange: string
  readonly routingKey: string
}

export interface AmqpLink {
  /** opens the connection and channel now (at startup), instead of at the first publish */
  readonly open: () => Promise<void>
  readonly publish: (
    target: AmqpTarget,
    body: Buffer,
    properties: Options.Publish & { readonly messageId: string },
    signal: AbortSignal
  ) => Promise<void>
  readonly close: () => Promise<void>
}

interface ChannelState {
  readonly channel: ConfirmChannel
  /** why the broker closed this channel, attached to the publishes it takes down */
  closeError?: Error
  /** message ids returned as unroutable and not yet matched with their confirm */
  readonly returned: Map<string, number>
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

const ignore = (): void => {}

export const makeAmqpLink = (options: Options.Connect, socketOptions: SocketOptions): AmqpLink => {
  let closed = false
  let model: Promise<ChannelModel> | undefined
  let channel: Promise<ChannelState> | undefined
  /** the broker's resource alarm reason while it blocks publishers */
  let blocked: string | undefined
  /** exchanges seen to exist; a missing one is checked on a throwaway channel, see below */
  const knownExchanges = new Set<string>()

  const openModel = (): Promise<ChannelModel> => {
    if (model !== undefined) return model
    if (closed) return Promise.reject(destinationError("unavailable", "rabbitmq: the destination is closing"))
    const opening = connect(options, socketOptions).then((m) => {
      if (closed) {
        m.close().catch(ignore)
        throw destinationError("unavailable", "rabbitmq: the destination is closing")
      }
      // 'close' always follows 'error'; publishes in flight learn of it through their channel
      m.on("error", ignore)
      m.on("close", () => {
        if (model === opening) {
          model = undefined
          channel = undefined
          blocked = undefined
        }
      })
      m.on("blocked", (reason: string) => {
        blocked = reason
      })
      m.on("unblocked", () => {
        blocked = undefined
      })
      return m
    })
    opening.catch(() => {
      if (model === opening) model = undefined
    })
    model = opening
    return opening
  }

  const openChannel = (): Promise<ChannelState> => {
    if (channel !== undefined) return channel
    const opening = openModel()
      .then((m) => m.createConfirmChannel())
      .then((ch) => {
        const state: ChannelState = { channel: ch, returned: new Map() }
        ch.on("error", (error: Error) => {
          state.closeError = error
        })
        ch.on("close", () => {
          if (channel === opening) channel = undefined
        })
        ch.on("return", (message: { readonly properties: { readonly messageId?: unknown } }) => {
          const id = message.properties.messageId
          if (typeof id === "string") state.returned.set(id, (state.returned.get(id) ?? 0) + 1)
        })
        return state
      })
    opening.catch(() => {
      if (channel === opening) channel = undefined
    })
    channel = opening
    return opening
  }

  /**
   * Publishing to a missing exchange makes the broker close the channel, failing every
   * publish in flight on it, whichever stream they belong to. So an exchange is checked
   * (passively) on a throwaway channel before its first publish; only a success is cached,
   * so an exchange created later is picked up.
   */
  const ensureExchange = async (exchange: string): Promise<void> => {
    if (exchange === "" || knownExchanges.has(exchange)) return
    const probe = await (await openModel()).createChannel()
    probe.on("error", ignore)
    try {
      await probe.checkExchange(exchange)
      knownExchanges.add(exchange)
    } finally {
      probe.close().catch(ignore)
    }
  }

  const publish: AmqpLink["publish"] = async (target, body, properties, signal) => {
    if (blocked !== undefined) {
      throw destinationError("throttled", `rabbitmq: the broker blocks publishing (${blocked})`)
    }
    await raceAbort(ensureExchange(target.exchange), signal)
    const state = await raceAbort(openChannel(), signal)
    signal.throwIfAborted()
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason)
      signal.addEventListener("abort", onAbort, { once: true })
      const confirmed = (error: unknown) => {
        signal.removeEventListener("abort", onAbort)
        if (error !== null && error !== undefined) {
          // "channel closed" says nothing; the broker's reason for closing it does
          return reject(state.closeError ?? error)
        }
        const returns = state.returned.get(properties.messageId) ?? 0
        if (returns === 0) return resolve()
        if (returns === 1) state.returned.delete(properties.messageId)
        else state.returned.set(properties.messageId, returns - 1)
        reject(
          destinationError(
            "misconfigured",
            target.exchange === ""
              ? `rabbitmq: no queue '${target.routingKey}' (the message was returned unroutable)`
              : `rabbitmq: exchange '${target.exchange}' routes routing key '${target.routingKey}' to no queue (returned unroutable)`
          )
        )
      }
      try {
        state.channel.publish(target.exchange, target.routingKey, body, { ...properties, mandatory: true }, confirmed)
      } catch (error) {
        // a channel closed under us (IllegalOperationError) or an oversized header table (RangeError)
        signal.removeEventListener("abort", onAbort)
        reject(error)
      }
    })
  }

  const close = async (): Promise<void> => {
    closed = true
    const pending = model
    model = undefined
    channel = undefined
    // an open still in flight finishes (bounded by the connect timeout) and is closed here
    const m = await pending?.catch(() => undefined)
    await m?.close().catch(ignore)
  }

  return {
    open: async () => {
      await openChannel()
    },
    publish,
    close
  }
}
