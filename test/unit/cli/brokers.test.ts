/**
 * Which Kafka a command uses: --brokers / KAFKA_BROKERS, else the broker `npm start` announced
 * in the checkout (while that npm start lives), else localhost:9092. No sockets: the state file
 * is a temporary one.
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Option } from "effect"
import { afterEach, describe, expect, it } from "vitest"
import { DEFAULT_BROKERS, resolveBrokers, unreachableLine } from "../../../src/cli/brokers.ts"

const stateFile = (content: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "hs-brokers-")), "npm-start.json")
  writeFileSync(file, content)
  return file
}

const saved = process.env["KAFKA_BROKERS"]
afterEach(() => {
  if (saved === undefined) delete process.env["KAFKA_BROKERS"]
  else process.env["KAFKA_BROKERS"] = saved
})

describe("the brokers a command uses", () => {
  it("--brokers or KAFKA_BROKERS first, whatever npm start announced", () => {
    const file = stateFile(JSON.stringify({ brokers: "127.0.0.1:40001", pid: process.pid }))
    expect(resolveBrokers(Option.some("kafka:9092"), file)).toEqual({ brokers: "kafka:9092", origin: "given" })
  })

  it("then the broker of a running npm start, which also becomes KAFKA_BROKERS for the connections file", () => {
    const file = stateFile(JSON.stringify({ brokers: "127.0.0.1:40001", pid: process.pid }))
    expect(resolveBrokers(Option.none(), file)).toEqual({ brokers: "127.0.0.1:40001", origin: "npm start" })
    expect(process.env["KAFKA_BROKERS"]).toBe("127.0.0.1:40001")
  })

  it("a file left by an npm start that is gone, or one that is not ours, is ignored", () => {
    const dead = stateFile(JSON.stringify({ brokers: "127.0.0.1:40001", pid: 2 ** 22 + 7 }))
    expect(resolveBrokers(Option.none(), dead)).toEqual({ brokers: DEFAULT_BROKERS, origin: "default" })
    expect(resolveBrokers(Option.none(), stateFile("{not json"))).toEqual({
      brokers: DEFAULT_BROKERS,
      origin: "default"
    })
    expect(resolveBrokers(Option.none(), join(tmpdir(), "no-such-dir", "npm-start.json")).origin).toBe("default")
  })

  it("the line for an unreachable cluster names the address, where it came from and how to set another", () => {
    const line = unreachableLine({ brokers: "localhost:9092", origin: "default" }, 3_000, "connect ECONNREFUSED")
    expect(line).toBe(
      "no Kafka broker answered at localhost:9092 within 3 s (the default; no npm start is running from this checkout): " +
        "connect ECONNREFUSED. Start one with npm start, or set another with --brokers host:port or KAFKA_BROKERS=host:port"
    )
    expect(line).not.toContain("\n")
  })
})
