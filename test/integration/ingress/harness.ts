/**
 * An ingress in this process against a real broker, for the integration tests: streams from
 * in-memory YAML, ops server on a free port, the ingress itself on a free loopback port.
 * `ready()` waits for /readyz (the producer connected) so no test races the connect.
 */
import { request as httpRequest } from "node:http"
import { Effect, Exit, Scope } from "effect"
import type { Kafka } from "kafkajs"
import { validateSources } from "../../../src/config/loadSources.ts"
import type { LoadedConfig } from "../../../src/config/StreamDefinition.ts"
import { type IngressOptions, startIngress } from "../../../src/ingress/startIngress.ts"
import type { InputRecord } from "../../../src/kafka/InputRecord.ts"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import { readCommitted } from "../../../src/kafka/TopicReader.ts"
import { makeOpsServer } from "../../../src/observability/opsServer.ts"
import { waitFor } from "../../support/waitFor.ts"

/** Streams from YAML texts, keyed by file name; throws with the issues if any is invalid. */
export const streamsFrom = (files: Readonly<Record<string, string>>): LoadedConfig => {
  const validation = validateSources({
    streams: Object.entries(files).map(([path, text]) => ({ path, text })),
    env: {}
  })
  if (validation.config === undefined) throw new Error(JSON.stringify(validation.issues, null, 2))
  return validation.config
}

export interface TestIngress {
  readonly url: string
  readonly opsUrl: string
  readonly kafka: Kafka
  readonly inFlight: () => number
  /** the webhook ids served now */
  readonly webhookIds: () => ReadonlyArray<string>
  /** serve another (valid) config from now on */
  readonly reload: (config: LoadedConfig) => Promise<void>
  /** POST /webhooks/<id> */
  readonly post: (
    webhookId: string,
    init: { headers?: Record<string, string>; body?: string | Uint8Array }
  ) => Promise<Response>
  readonly ready: () => Promise<void>
  readonly close: () => Promise<void>
}

export const startTestIngress = async (
  config: LoadedConfig,
  options: { brokers: string; topic: string } & Partial<Omit<IngressOptions, "ops" | "topic">>
): Promise<TestIngress> => {
  const scope = Effect.runSync(Scope.make())
  const kafka = makeKafka({ brokers: options.brokers.split(","), clientId: "ingress-test", connectionTimeoutMs: 1_000 })
  const inScope = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.provide(scope)(effect))
  try {
    const ops = await inScope(makeOpsServer({ host: "127.0.0.1", port: 0 }))
    const ingress = await inScope(
      startIngress(config, kafka, {
        host: "127.0.0.1",
        port: 0,
        produceTimeoutMs: 5_000,
        maxInFlight: 1_024,
        maxHeaders: 100,
        maxHeaderBytes: 16 * 1024,
        trustProxy: [],
        retryAfterSeconds: 5,
        ...options,
        ops
      })
    )
    let closing: Promise<void> | undefined
    return {
      url: ingress.url,
      opsUrl: ops.url,
      kafka,
      inFlight: ingress.inFlight,
      webhookIds: () => ingress.webhookIds,
      reload: (next) => Effect.runPromise(ingress.reload(next)),
      post: (webhookId, init) =>
        fetch(`${ingress.url}/webhooks/${webhookId}`, {
          method: "POST",
          ...(init.headers === undefined ? {} : { headers: init.headers }),
          ...(init.body === undefined ? {} : { body: init.body })
        }),
      ready: () =>
        waitFor(async () => (await fetch(`${ops.url}/readyz`)).status === 200, {
          timeoutMs: 30_000,
          description: "the ingress to be ready"
        }),
      close: () => {
        closing ??= Effect.runPromise(Scope.close(scope, Exit.void))
        return closing
      }
    }
  } catch (error) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw error
  }
}

/** Sum of the partitions' high watermarks: every record the topic holds (no transactions here). */
/**
 * The records a read_committed consumer sees on `topic`, read to its last stable offset. The
 * ingress writes in transactions: high watermarks also count their commit markers, and records
 * of aborted transactions stay in the log, invisible.
 */
export const committedOnTopic = (kafka: Kafka, topic: string): Promise<ReadonlyArray<InputRecord>> =>
  Effect.runPromise(readCommitted(kafka, topic))

/** Log entries on `topic` (high watermarks): records of every transaction, and their markers. */
export const recordsInLog = async (kafka: Kafka, topic: string): Promise<number> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)
  } finally {
    await admin.disconnect()
  }
}

export const recordsOnTopic = async (kafka: Kafka, topic: string): Promise<number> =>
  (await committedOnTopic(kafka, topic)).length

export interface RawResponse {
  readonly status: number
  readonly headers: Record<string, string | Array<string> | undefined>
  readonly body: string
}

/**
 * A request with node:http, for what fetch hides: a body sent in parts (`hold` keeps the
 * request open after the first part until `release()`), chunked bodies, exact headers.
 */
export const rawPost = (
  url: string,
  options: { headers: Record<string, string | number>; parts: ReadonlyArray<string | Buffer>; hold?: boolean }
) => {
  let release: () => void = () => undefined
  const released = new Promise<void>((resolve) => {
    release = resolve
  })
  const response = new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers: options.headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() })
      )
      res.on("error", reject)
    })
    req.on("error", reject)
    const [first, ...rest] = options.parts
    if (first !== undefined) req.write(first)
    const finish = () => {
      for (const part of rest) req.write(part)
      req.end()
    }
    if (options.hold === true) void released.then(finish)
    else finish()
  })
  return { response, release: () => release() }
}
