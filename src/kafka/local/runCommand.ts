import { spawn } from "node:child_process"
import { Effect } from "effect"

export interface CommandResult {
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  /** the last 64 KiB of stdout and stderr, interleaved as they arrived */
  readonly output: string
}

const MAX_OUTPUT = 64 * 1024

/**
 * Runs a short-lived command (mvn, StorageTool) to completion. Fails only when it cannot be
 * spawned; a non-zero exit is the caller's to judge. Interruption kills the process, so an
 * interrupted `npm run kafka:jars` does not leave Maven running.
 */
export const runCommand = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}
): Effect.Effect<CommandResult, Error> =>
  Effect.callback<CommandResult, Error>((resume) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: "pipe" })
    child.stdin.end()
    let output = ""
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString("utf8")).slice(-MAX_OUTPUT)
    }
    child.stdout.on("data", keep)
    child.stderr.on("data", keep)
    child.once("error", (cause) => resume(Effect.fail(cause)))
    child.once("close", (exitCode, signal) => resume(Effect.succeed({ exitCode, signal, output })))
    return Effect.sync(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
    })
  })
