/**
 * The machine's services that hookstream's destination modules are tested against. .ci/run
 * starts any that are down; this checks that each answers where test/support/services.ts says.
 */

import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { freePort } from "../../src/kafka/local/freePort.ts"
import { requireService, serviceAddress, serviceNames } from "../support/services.ts"

describe("machine services", () => {
  it.each(serviceNames)("%s answers on its port", async (name) => {
    const address = await requireService(name)
    expect(address.port).toBeGreaterThan(0)
  })

  it("a service that is down fails with its name and how to start it", async () => {
    const port = await Effect.runPromise(freePort)
    const env = { REDIS_URL: `redis://127.0.0.1:${port}` }
    await expect(requireService("redis", { env, timeoutMs: 500 })).rejects.toThrow(
      new RegExp(`Redis is not reachable at 127\\.0\\.0\\.1:${port}.*redis-server --daemonize yes`)
    )
  })

  it("reads addresses and credentials from <SERVICE>_URL", () => {
    expect(serviceAddress("rabbitmq", {})).toMatchObject({
      host: "127.0.0.1",
      port: 5672,
      username: "guest",
      password: "guest"
    })
    expect(serviceAddress("postgres", { POSTGRES_URL: "postgres://app:s3cret@db.local:6543/hooks" })).toMatchObject({
      host: "db.local",
      port: 6543,
      username: "app",
      password: "s3cret",
      database: "hooks"
    })
  })
})
