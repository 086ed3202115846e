/**
 * The ops endpoints, on their own port (default 9464, Prometheus' conventional exporter
 * port) so they are never exposed on the public ingress port:
 *   GET /healthz  200 while the process serves (liveness)
 *   GET /readyz   200 when every registered readiness check passes, else 503 with the
 *                 failing ones named (load balancers stop routing here)
 *   GET /metrics  the shared registry in Prometheus text format
 * A scoped resource: closing the scope closes the listener.
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import { Effect, Schema, type Scope } from "effect"
import Fastify from "fastify"
import { enableProcessMetrics, registry } from "./metrics.ts"

export { DEFAULT_OPS_PORT } from "./opsPort.ts"

export class OpsServerError extends Schema.TaggedError<OpsServerError>()("OpsServerError", {
  message: Schema.String
}) {}

export interface ReadinessCheck {
  readonly name: string
  /** `undefined` when ready, else why not */
  readonly problem: () => string | undefined
}

/** Serves the requests under a mounted prefix, from the raw Node request on (body unread). */
export type MountedHandler = (request: IncomingMessage, response: ServerResponse) => void

export interface OpsServer {
  readonly url: string
  /** the address it listens on, as given (`0.0.0.0`, `127.0.0.1`…) */
  readonly host: string
  readonly port: number
  readonly addReadinessCheck: (check: ReadinessCheck) => void
  /** serves `/<name>` and everything below it with `handler` (the operator console) */
  readonly mount: (name: string, handler: MountedHandler) => void
}

export const makeOpsServer = (options: {
  readonly host: string
  readonly port: number
}): Effect.Effect<OpsServer, OpsServerError, Scope.Scope> =>
  Effect.gen(function* () {
    enableProcessMetrics()
    const checks: Array<ReadinessCheck> = []
    const app = Fastify({ logger: false })
    app.get("/healthz", async (_request, reply) => reply.code(200).send({ status: "ok" }))
    app.get("/readyz", async (_request, reply) => {
      const problems = checks.flatMap((c) => {
        const problem = c.problem()
        return problem === undefined ? [] : [{ check: c.name, problem }]
      })
      return reply
        .code(problems.length === 0 ? 200 : 503)
        .send(problems.length === 0 ? { status: "ready" } : { status: "not ready", problems })
    })
    app.get("/metrics", async (_request, reply) =>
      reply
        .code(200)
        .header("content-type", registry.contentType)
        .send(await registry.metrics())
    )
    // fastify takes no routes once it listens, and the processor's console is mounted after the
    // ingress started this server (`npm start`): a catch-all hands those requests over untouched
    const mounts = new Map<string, MountedHandler>()
    app.register(async (scope) => {
      scope.removeAllContentTypeParsers()
      scope.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined))
      scope.all("/*", async (request, reply) => {
        const handler = mounts.get(/^\/([^/?#]*)/.exec(request.url)?.[1] ?? "")
        if (handler === undefined) return reply.code(404).send({ error: "not found" })
        reply.hijack()
        handler(request.raw, reply.raw)
      })
    })
    const port = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          await app.listen({ host: options.host, port: options.port })
          const address = app.server.address()
          return typeof address === "object" && address !== null ? address.port : options.port
        },
        catch: (e) => new OpsServerError({ message: `ops server on ${options.host}:${options.port}: ${String(e)}` })
      }),
      () => Effect.promise(() => app.close())
    )
    const host = options.host.includes(":") ? `[${options.host}]` : options.host
    return {
      url: `http://${host}:${port}`,
      host: options.host,
      port,
      addReadinessCheck: (check) => checks.push(check),
      mount: (name, handler) => mounts.set(name, handler)
    }
  })
