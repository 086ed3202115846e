import { type ChildProcess, spawn } from "node:child_process"
import { kafkaBrokers } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import type { Topics } from "./harness.ts"

export interface Child {
  readonly proc: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
}

/** Starts test/support/processorChild.ts and waits until the group assigned it partitions. */
export const startChild = async (
  topics: Topics,
  env: Record<string, string> = {},
  waitReady = true
): Promise<Child> => {
  const proc = spawn(process.execPath, ["test/support/processorChild.ts"], {
    env: {
      ...process.env,
      BROKERS: kafkaBrokers(),
      INPUT: topics.input,
      RESULTS: topics.results,
      DLQ: topics.dlq,
      GROUP: topics.group,
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let out = ""
  proc.stdout?.on("data", (d) => {
    out += d.toString()
  })
  proc.stderr?.on("data", (d) => {
    out += d.toString()
  })
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)))
  const child = { proc, output: () => out, exited }
  if (waitReady) {
    await waitFor(() => out.includes("ready"), {
      timeoutMs: 30_000,
      description: () => `processor child ready (output: ${out.slice(-2_000)})`
    })
  }
  return child
}
