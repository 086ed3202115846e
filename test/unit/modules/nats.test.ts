import { describe, expect, it } from "vitest"
import { NatsConfig, NatsConnection } from "../../../src/modules/nats/NatsConfig.ts"
import { decode } from "./decode.ts"

describe("nats config", () => {
  it("publishes to a subject, with JetStream by default", () => {
    expect(decode(NatsConfig, { subject: "github.push" }).value).toMatchObject({ jetstream: true })
    for (const subject of ["a.*", "a.>", "a..b", "a b", ".a"]) {
      expect(decode(NatsConfig, { subject }).problems[0]).toMatch(/^subject: expected a NATS subject/)
    }
    expect(decode(NatsConfig, { subject: "a", jetstream: false, stream: "S" }).problems).toEqual([
      ": stream applies only with jetstream: true"
    ])
  })

  it("connections: servers without credentials; token or user/password", () => {
    expect(decode(NatsConnection, { type: "nats", servers: "nats://a:4222,tls://b:4222" }).value).toMatchObject({
      servers: ["nats://a:4222", "tls://b:4222"]
    })
    expect(decode(NatsConnection, { type: "nats", servers: ["nats://u:hunter2@a:4222"] }).problems).toEqual([
      "servers.0: credentials in server URLs are not allowed; use token or user/password"
    ])
    expect(
      decode(NatsConnection, { type: "nats", servers: "a:4222", token: "t", user: "u", password: "p" }).problems
    ).toEqual([": give either token or user/password, not both"])
    expect(decode(NatsConnection, { type: "nats", servers: "a:4222", user: "u" }).problems).toEqual([
      ": user and password go together"
    ])
  })
})
