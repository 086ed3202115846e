/**
 * An HTTP sink that checks per-key order: every event's payload names its id and its key.
 * Redeliveries are expected (at-least-once, and a chain's effect is never transactional);
 * what must never happen is an event arriving for the first time before an earlier event of
 * its key has arrived: an order violation. "Earlier" is the order of the input topic itself,
 * read back at the end (a producer that lost or repeated a record while a broker died must
 * not count against hookstream). The arrival time of each event's first delivery gives the
 * throughput over time (throughput.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"

export interface OrderedPayload {
  readonly id: string
  readonly key: string
}

export interface OrderStats {
  /** deliveries that arrived (first ones and repeats) */
  readonly deliveries: number
  /** deliveries beyond one per event */
  readonly duplicates: number
  /** first deliveries that came before an earlier event of their key (by input topic order) */
  readonly violations: number
  /** repeats of an event after a later event of its key had arrived (a partition re-read from its commit) */
  readonly rewinds: number
  /** events of the input that never arrived */
  readonly missing: number
  readonly sample: ReadonlyArray<string>
}

export interface OrderSink {
  readonly url: string
  /** performance.now() of each event's first delivery, in arrival order */
  readonly firstArrivals: () => ReadonlyArray<number>
  readonly unique: () => number
  /** against the input topic's order: key → event ids in offset order (first copy of each) */
  readonly stats: (inputOrder: ReadonlyMap<string, ReadonlyArray<string>>) => OrderStats
  readonly close: () => Promise<void>
}

export const startOrderSink = async (): Promise<OrderSink> => {
  /** per key: the ids of first deliveries in arrival order, and how often each came back after a later one */
  const firstByKey = new Map<string, Array<string>>()
  const arrivals = new Map<string, number>()
  const times: Array<number> = []
  let deliveries = 0
  let rewinds = 0

  const record = (event: OrderedPayload) => {
    deliveries++
    const seen = arrivals.get(event.id)
    arrivals.set(event.id, (seen ?? 0) + 1)
    let firsts = firstByKey.get(event.key)
    if (firsts === undefined) {
      firsts = []
      firstByKey.set(event.key, firsts)
    }
    if (seen === undefined) {
      times.push(performance.now())
      firsts.push(event.id)
    } else if (firsts.at(-1) !== event.id) rewinds++
  }

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Array<Buffer> = []
    request.on("data", (c: Buffer) => chunks.push(c))
    request.on("end", () => {
      try {
        record(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OrderedPayload)
        response.writeHead(200).end()
      } catch {
        response.writeHead(400).end()
      }
    })
  })
  server.keepAliveTimeout = 30_000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))

  const stats = (inputOrder: ReadonlyMap<string, ReadonlyArray<string>>): OrderStats => {
    const sample: Array<string> = []
    let violations = 0
    let missing = 0
    for (const [key, ids] of inputOrder) {
      const rank = new Map(ids.map((id, i) => [id, i]))
      const arrived = new Set<number>()
      // the lowest rank not arrived yet: a first delivery above it overtook an earlier event
      let lowest = 0
      for (const id of firstByKey.get(key) ?? []) {
        const r = rank.get(id)
        if (r === undefined) continue
        if (r > lowest) {
          violations++
          if (sample.length < 10) sample.push(`${id} (#${r} of key ${key}) arrived before #${lowest}`)
        }
        arrived.add(r)
        while (arrived.has(lowest)) lowest++
      }
      for (const id of ids) {
        if (arrivals.has(id)) continue
        missing++
        if (sample.length < 15) sample.push(`${id} never arrived`)
      }
    }
    return { deliveries, duplicates: deliveries - arrivals.size, violations, rewinds, missing, sample }
  }

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    firstArrivals: () => times,
    unique: () => arrivals.size,
    stats,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
