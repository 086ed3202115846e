/**
 * Readiness from the Kafka client's own connections. KafkaJS emits no event when a broker
 * goes away (its DISCONNECT events only mean "disconnect() was called"), but every socket it
 * opens comes from the socket factory it is given: through ours, the watch sees each
 * connection answer, fail, or be closed by the broker (it died, or shut down) rather than by
 * the client. The instrumentation events add what a socket cannot show: a request that timed
 * out on an open connection (a hung broker), and a consumer that crashed and is restarting.
 *
 * A broker counts as lost from that moment until a connection to it answers again, or until
 * the cluster's metadata no longer lists it (it was fenced and its partitions have other
 * leaders: the client does not need it any more). While one is lost a probe asks the cluster
 * at once and then every `probeIntervalMs`, so an idle client (an ingress without traffic)
 * recovers its readiness without waiting for a request of its own.
 */
import { isIP, connect as netConnect, type Socket } from "node:net"
import { connect as tlsConnect } from "node:tls"
import type { Admin, Consumer, ISocketFactory, Kafka, Producer } from "kafkajs"

export interface ConnectionWatch {
  /** give this to the KafkaJS client (KafkaConfig.socketFactory) */
  readonly socketFactory: ISocketFactory
  /** `undefined` while every broker the client talks to answers, else why not (for /readyz) */
  readonly problem: () => string | undefined
  /** follows a client's REQUEST_TIMEOUT events (and a consumer's CRASH and GROUP_JOIN) */
  readonly observe: <C extends Producer | Consumer | Admin>(client: C) => C
  /**
   * follows a client that opens its own connections and says so in events (@platformatic/kafka:
   * `client:broker:connect`, `…:disconnect`, `…:failed`, each with the broker's host and port)
   */
  readonly observeBrokerEvents: (client: BrokerEventSource) => void
  /** stops the probe */
  readonly close: () => void
}

export interface ConnectionWatchOptions {
  /** the bootstrap servers: the probe asks them which brokers the cluster still has */
  readonly bootstrap: ReadonlyArray<string>
  /** a throw-away client for the probe on `brokers`, made with `socketFactory` (same TLS/SASL as the watched one) */
  readonly probeClient: (brokers: ReadonlyArray<string>, socketFactory: ISocketFactory) => Kafka
  readonly probeIntervalMs?: number
  readonly now?: () => number
}

/** What the watch needs of an @platformatic/kafka client (its base client is an EventEmitter). */
export interface BrokerEventSource {
  on(
    event: string,
    listener: (payload: { readonly broker: { readonly host: string; readonly port: number } }) => void
  ): unknown
}

interface Lost {
  readonly since: number
  readonly why: string
}

/** KafkaJS's own factory (src/network/socketFactory.js), plus our listeners. */
const openSocket: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket: Socket = ssl
    ? tlsConnect({ host, port, ...(isIP(host) === 0 ? { servername: host } : {}), ...ssl }, onConnect)
    : netConnect({ host, port }, onConnect)
  socket.setKeepAlive(true, 60_000)
  return socket
}

export const makeConnectionWatch = (options: ConnectionWatchOptions): ConnectionWatch => {
  const now = options.now ?? Date.now
  const intervalMs = options.probeIntervalMs ?? 1_000
  const lost = new Map<string, Lost>()
  let crashed: string | undefined
  let timer: NodeJS.Timeout | undefined
  let probing = false
  let closed = false

  const markLost = (broker: string, why: string) => {
    lost.set(broker, { since: lost.get(broker)?.since ?? now(), why })
    schedule(0)
  }

  const socketFactory: ISocketFactory = (args) => {
    const socket = openSocket(args)
    const broker = `${args.host}:${args.port}`
    let connected = false
    let failed = false
    socket.once("connect", () => {
      connected = true
    })
    // the broker answered (KafkaJS's first request on a connection is ApiVersions)
    socket.on("data", () => {
      if (lost.size > 0) lost.delete(broker)
    })
    socket.on("error", (error: NodeJS.ErrnoException) => {
      failed = true
      markLost(broker, error.code ?? error.message)
    })
    // listeners run in order: KafkaJS's own `end` handler (which ends our side) comes after this one
    socket.once("end", () => {
      if (!socket.writableEnded) markLost(broker, "connection closed by the broker")
    })
    // KafkaJS ends a socket that did not connect within its connectionTimeout itself
    socket.once("close", () => {
      if (!connected && !failed) markLost(broker, "connection timed out")
    })
    return socket
  }

  const probeOnce = async () => {
    const suspects = [...lost.keys()]
    const others = options.bootstrap.filter((b) => !lost.has(b))
    const cluster = options.probeClient(others.length > 0 ? others : options.bootstrap, socketFactory).admin()
    try {
      await cluster.connect()
      const { brokers } = await cluster.describeCluster()
      const listed = new Set(brokers.map((b) => `${b.host}:${b.port}`))
      for (const broker of suspects) if (!listed.has(broker)) lost.delete(broker)
    } catch {
      // nobody answers: everything stays lost
    } finally {
      await cluster.disconnect().catch(() => undefined)
    }
    // still listed: does it answer again? (the connection's first answer clears it, above)
    for (const broker of suspects.filter((b) => lost.has(b))) {
      const direct = options.probeClient([broker], socketFactory).admin()
      await direct.connect().catch(() => undefined)
      await direct.disconnect().catch(() => undefined)
    }
  }

  function schedule(delayMs: number) {
    if (closed || probing || timer !== undefined) return
    timer = setTimeout(() => {
      probing = true
      probeOnce().finally(() => {
        probing = false
        timer = undefined
        if (lost.size > 0) schedule(intervalMs)
      })
    }, delayMs)
    timer.unref()
  }

  const observe = <C extends Producer | Consumer | Admin>(client: C): C => {
    const timedOut = (event: { readonly payload: { readonly broker: string; readonly apiName: string } }) =>
      markLost(event.payload.broker, `${event.payload.apiName} request timed out`)
    // the three clients' event names differ by prefix only; each has its own `on` overloads
    if ("subscribe" in client) {
      client.on(client.events.REQUEST_TIMEOUT, timedOut)
      client.on(client.events.CRASH, (event) => {
        crashed = event.payload.restart
          ? `Kafka consumer crashed and is restarting: ${event.payload.error.message}`
          : crashed
      })
      client.on(client.events.GROUP_JOIN, () => {
        crashed = undefined
      })
    } else if ("transaction" in client) {
      client.on(client.events.REQUEST_TIMEOUT, timedOut)
    } else {
      client.on(client.events.REQUEST_TIMEOUT, timedOut)
    }
    return client
  }

  const observeBrokerEvents = (client: BrokerEventSource) => {
    const at = (payload: { readonly broker: { readonly host: string; readonly port: number } }) =>
      `${payload.broker.host}:${payload.broker.port}`
    client.on("client:broker:connect", (payload) => lost.delete(at(payload)))
    // it closes a connection itself only when the client closes, and by then readiness says "shutting down"
    client.on("client:broker:disconnect", (payload) => markLost(at(payload), "connection closed"))
    client.on("client:broker:failed", (payload) => markLost(at(payload), "connection failed"))
  }

  const problem = (): string | undefined => {
    if (crashed !== undefined) return crashed
    const first = [...lost].sort(([, a], [, b]) => a.since - b.since)[0]
    if (first === undefined) return undefined
    const [broker, { since, why }] = first
    const more = lost.size > 1 ? ` (and ${lost.size - 1} other broker${lost.size > 2 ? "s" : ""})` : ""
    return `Kafka broker ${broker} unreachable for ${((now() - since) / 1_000).toFixed(1)} s: ${why}${more}`
  }

  return {
    socketFactory,
    problem,
    observe,
    observeBrokerEvents,
    close: () => {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
    }
  }
}
