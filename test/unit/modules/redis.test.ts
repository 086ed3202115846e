import { describe, expect, it } from "vitest"
import { RedisConfig } from "../../../src/modules/redis/RedisConfig.ts"
import { decode } from "./decode.ts"

describe("redis config", () => {
  it("needs the one target its mode uses", () => {
    expect(decode(RedisConfig, { channel: "events" }).value).toMatchObject({ mode: "publish", channel: "events" })
    expect(decode(RedisConfig, { mode: "list", key: "jobs" }).problems).toEqual([])
    expect(decode(RedisConfig, { mode: "stream", stream: "s", maxlen: 1000 }).problems).toEqual([])
    expect(decode(RedisConfig, { mode: "list" }).problems).toEqual([": mode list needs 'key'"])
    expect(decode(RedisConfig, { mode: "list", key: "k", channel: "c" }).problems).toEqual([
      ": 'channel' does not apply to mode list (it uses 'key')"
    ])
    expect(decode(RedisConfig, { channel: "c", maxlen: 5 }).problems).toEqual([": maxlen applies only to mode stream"])
    expect(decode(RedisConfig, { channel: "has space" }).problems[0]).toMatch(/^channel: expected a Redis key/)
  })
})
