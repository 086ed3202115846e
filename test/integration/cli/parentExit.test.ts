/**
 * `npx hookstream run` under a process manager: the manager signals npm, npm exits without
 * passing the signal on, and the shell it ran hookstream in may stay behind. hookstream,
 * started by npm, notices that npm is gone and stops as on SIGTERM (exit 0), instead of
 * running on, orphaned. Here a stand-in for npm (a Node process with npm's environment) runs
 * `sh -c "<hookstream run>; echo exit=$?"` (a second command keeps sh from exec-ing, so sh stays
 * between them as it does under npm) and is then killed with SIGKILL.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { isAlive } from "../../../src/kafka/local/BrokerProcess.ts"
import { kafkaBrokers, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"

const root = join(import.meta.dirname, "..", "..", "..")
let npm: ChildProcess | undefined
let hookstreamPid: number | undefined

afterAll(() => {
  for (const pid of [hookstreamPid, npm?.pid]) if (pid !== undefined && isAlive(pid)) process.kill(pid, "SIGKILL")
})

const parentOf = (pid: number): number | undefined => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1])
}

const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(" ")
      .filter((p) => p !== "")
      .map(Number)
  } catch {
    return []
  }
}

describe("started through npm", () => {
  it("hookstream run stops by itself, exit 0, once npm is gone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hs-parent-"))
    writeFileSync(join(dir, "audit.yaml"), "id: audit\nchain:\n  - module: log\n")
    const base = uniqueName("parent")
    const run = [
      join(root, "node_modules", ".bin", "node"),
      join(root, "bin", "hookstream.js"),
      "run",
      ...["--streams", dir, "--create-topics", "--partitions", "1", "--ops-host", "127.0.0.1", "--ops-port", "0"],
      ...["--input", `${base}.in`, "--results", `${base}.results`, "--dlq", `${base}.dlq`, "--group", base],
      ...["--instance-id", base, "--no-console"]
    ].join(" ")
    const log = join(dir, "hookstream.log")
    const script = `require("node:child_process").spawn("sh", ["-c", ${JSON.stringify(`${run} > ${log} 2>&1; echo exit=$? >> ${log}`)}], { stdio: "ignore" }); setInterval(() => {}, 1000)`
    npm = spawn(process.execPath, ["-e", script], {
      env: { PATH: process.env["PATH"] ?? "", KAFKA_BROKERS: kafkaBrokers(), npm_command: "exec" },
      stdio: "ignore"
    })
    const npmPid = npm.pid as number
    const output = () => {
      try {
        return readFileSync(log, "utf8")
      } catch {
        return ""
      }
    }
    await waitFor(() => output().includes("partitions assigned"), {
      timeoutMs: 60_000,
      description: () => `hookstream run to start; output: ${output()}`
    })
    const [shell] = childrenOf(npmPid)
    hookstreamPid = shell === undefined ? undefined : childrenOf(shell)[0]
    expect(hookstreamPid).toBeDefined()
    expect(parentOf(hookstreamPid as number)).toBe(shell)
    npm.kill("SIGKILL")
    await waitFor(() => !isAlive(hookstreamPid as number), {
      timeoutMs: 45_000,
      description: () => `hookstream to stop after npm went away; output: ${output()}`
    })
    // the shell stayed: hookstream's own parent never changed, only its grandparent went
    await waitFor(() => output().includes("exit="), { timeoutMs: 10_000, description: "the shell's echo" })
    expect(output()).toContain("the npm process that started this one is gone")
    expect(output()).toContain("processor stopped")
    expect(output()).toContain("exit=0")
  }, 120_000)
})
