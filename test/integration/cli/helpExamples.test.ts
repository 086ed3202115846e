/**
 * Every example that `--help` prints runs as printed. The examples are read from the help
 * itself (`hookstream --help`, then each command's and subcommand's), and each runs through
 * `bash -c` exactly as written, `hookstream` being the checkout's executable, from a folder
 * holding copies of streams/ and examples/, against the run's broker and the machine's
 * services. An example's description may say which exit code it ends with (`(exit 1)`);
 * otherwise it must exit 0. Commands that serve (run, ingress, console) must come up and stop
 * cleanly on SIGTERM; the first `hookstream run` example stays up as the processor the other
 * examples' events go through.
 *
 * The environment is the test's: KAFKA_BROKERS, topic and group names of its own (so npm start
 * tests on the same broker are not disturbed), free ports instead of the fixed defaults, and
 * the example streams' demo HTTP receiver moved to a port of this test (8089 may belong to
 * another npm start that stops while this runs).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { promisify, stripVTControlCharacters } from "node:util"
import { NodeServices } from "@effect/platform-node"
import { Effect, Exit, Scope } from "effect"
import { TestConsole } from "effect/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { runCli } from "../../../src/cli/runCli.ts"
import { echoReceiver } from "../../../src/demo/echoReceiver.ts"
import { prepareExampleSinks } from "../../../src/demo/prepareSinks.ts"
import { makeKafka } from "../../../src/kafka/kafkaClient.ts"
import { ensureTopics } from "../../../src/kafka/topics.ts"
import { kafkaBrokers, uniqueName } from "../../support/kafka.ts"
import { requireService } from "../../support/services.ts"
import { waitFor } from "../../support/waitFor.ts"

const root = join(import.meta.dirname, "..", "..", "..")

interface Example {
  readonly command: string
  readonly description: string
}

const section = (help: string, title: string): ReadonlyArray<string> => {
  const lines = help.split("\n")
  const start = lines.indexOf(title)
  if (start < 0) return []
  const end = lines.findIndex((l, i) => i > start && /^[A-Z][A-Z ]+$/.test(l))
  return lines.slice(start + 1, end < 0 ? undefined : end)
}

/** The help of `hookstream <path…>` as printed (in-process: a process per command would take a minute). */
const helpOf = (path: ReadonlyArray<string>): Promise<string> =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* runCli([...path, "--help"])
      return stripVTControlCharacters((yield* TestConsole.logLines).map(String).join("\n"))
    }).pipe(Effect.provide(TestConsole.layer), Effect.provide(NodeServices.layer))
  )

/** The examples of `path` and of every subcommand below it, in the order the help lists them. */
const examplesOf = async (path: ReadonlyArray<string>): Promise<Array<Example>> => {
  const help = await helpOf(path)
  const own: Array<Example> = []
  let description = ""
  for (const line of section(help, "EXAMPLES")) {
    if (line.startsWith("  # ")) description = line.slice(4)
    else if (line.startsWith("  hookstream") || /^ {2}[A-Z_]+=/.test(line))
      own.push({ command: line.trim(), description })
  }
  const subcommands = section(help, "SUBCOMMANDS")
    .map((l) => /^ {2}(\S+)\s/.exec(l)?.[1])
    .filter((name): name is string => name !== undefined)
  const nested: Array<Example> = []
  for (const name of subcommands) nested.push(...(await examplesOf([...path, name])))
  return [...own, ...nested]
}

const examples = await examplesOf([])
const commands = await helpOf([])

const SERVES: Readonly<Record<string, RegExp>> = {
  run: /"msg":"streams loaded"/,
  ingress: /hookstream ingress: listening on/,
  console: /hookstream console: http/
}
/** `run` for `HOOKSTREAM_X=1 hookstream run --flag` */
const verb = (command: string): string => /(?:^|\s)hookstream (\S+)/.exec(command)?.[1] ?? ""
const expectedExit = (description: string): number => Number(/\(exit (\d)\)/.exec(description)?.[1] ?? 0)

let cwd = ""
let env: NodeJS.ProcessEnv = {}
let processor: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined
const scope = Effect.runSync(Scope.make())

const serve = async (command: string) => {
  // bash runs a lone command in its own process (exec), so the signal reaches hookstream itself
  const child = spawn("bash", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
  let output = ""
  child.stdout?.on("data", (d) => {
    output += d.toString()
  })
  child.stderr?.on("data", (d) => {
    output += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const ready = SERVES[verb(command)] as RegExp
  await waitFor(() => ready.test(output) || child.exitCode !== null, {
    timeoutMs: 60_000,
    description: () => `${command} to come up; output so far:\n${output}`
  })
  expect(child.exitCode, output).toBeNull()
  return { child, output: () => output, exited }
}

beforeAll(async () => {
  for (const service of ["postgres", "nats"] as const) await requireService(service)
  cwd = mkdtempSync(join(tmpdir(), "hs-examples-"))
  cpSync(join(root, "streams"), join(cwd, "streams"), { recursive: true })
  cpSync(join(root, "examples"), join(cwd, "examples"), { recursive: true })
  const receiver = await Effect.runPromise(Scope.provide(scope)(echoReceiver(0)))
  const port = (receiver.address() as AddressInfo).port
  const orders = join(cwd, "streams", "orders.yaml")
  writeFileSync(orders, readFileSync(orders, "utf8").replaceAll("127.0.0.1:8089", `127.0.0.1:${port}`))

  const bin = join(cwd, ".bin")
  mkdirSync(bin)
  writeFileSync(
    join(bin, "hookstream"),
    `#!/bin/sh\nexec "${join(root, "node_modules", ".bin", "node")}" "${join(root, "bin", "hookstream.js")}" "$@"\n`
  )
  chmodSync(join(bin, "hookstream"), 0o755)
  const base = uniqueName("examples")
  env = {
    PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    KAFKA_BROKERS: kafkaBrokers(),
    HOOKSTREAM_INPUT: `${base}.in`,
    HOOKSTREAM_RESULTS: `${base}.results`,
    HOOKSTREAM_DLQ: `${base}.dlq`,
    HOOKSTREAM_GROUP: `${base}-group`,
    HOOKSTREAM_INSTANCE_ID: base,
    HOOKSTREAM_OPS_PORT: "0",
    HOOKSTREAM_INGRESS_PORT: "0",
    HOOKSTREAM_CONSOLE_PORT: "0",
    HOOKSTREAM_FILE_DIR: join(cwd, "files"),
    HOOKSTREAM_SESSION_TIMEOUT: "6s",
    LOG_LEVEL: "info"
  }
  // what npm start prepares for the example streams: the kafka step's topic, the NATS stream
  await Effect.runPromise(
    ensureTopics(makeKafka({ brokers: kafkaBrokers().split(","), clientId: base }), [
      { topic: "order-events", partitions: 3 }
    ])
  )
  await Effect.runPromise(prepareExampleSinks)

  const first = examples.find((e) => verb(e.command) === "run")
  if (first === undefined) throw new Error("no `hookstream run` example")
  processor = await serve(first.command)
  await waitFor(() => processor?.output().includes("partitions assigned") === true, {
    timeoutMs: 60_000,
    description: () => `the processor's partitions; output:\n${processor?.output()}`
  })
}, 180_000)

afterAll(async () => {
  if (processor !== undefined && processor.child.exitCode === null) processor.child.kill("SIGKILL")
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

describe("--help examples", () => {
  it("every command has examples", () => {
    const names = section(commands, "SUBCOMMANDS")
      .map((l) => /^ {2}(\S+)\s/.exec(l)?.[1])
      .filter((n) => n !== undefined)
    expect(names.length).toBeGreaterThan(8)
    for (const name of names)
      expect(
        examples.some((e) => verb(e.command) === name),
        name
      ).toBe(true)
  })

  for (const example of examples) {
    it(`${example.command}  # ${example.description}`, async () => {
      if (SERVES[verb(example.command)] !== undefined) {
        if (example.command === examples.find((e) => verb(e.command) === "run")?.command) return // runs all along
        const service = await serve(example.command)
        service.child.kill("SIGTERM")
        expect(await service.exited, service.output()).toBe(0)
        return
      }
      const run = await promisify(execFile)("bash", ["-c", example.command], { cwd, env }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr })
      )
      expect(run.code, `${example.command}\n${run.stdout}\n${run.stderr}`).toBe(expectedExit(example.description))
    }, 90_000)
  }

  it("the processor the examples ran through stops cleanly", async () => {
    processor?.child.kill("SIGTERM")
    expect(await processor?.exited, processor?.output()).toBe(0)
  }, 60_000)
})
