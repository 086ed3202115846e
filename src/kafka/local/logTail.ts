import { readFile } from "node:fs/promises"
import { Effect } from "effect"

/** The last `lines` lines of a log file, or a note that it could not be read; never fails. */
export const logTail = (file: string, lines = 40): Effect.Effect<string> =>
  Effect.promise(() =>
    readFile(file, "utf8").then(
      (text) => text.trimEnd().split("\n").slice(-lines).join("\n"),
      (cause: unknown) => `(cannot read ${file}: ${String(cause)})`
    )
  )

/** A failure message with the log tail appended, so whoever prints the error shows why. */
export const withLogTail = (message: string, file: string, lines = 40): Effect.Effect<string> =>
  Effect.map(logTail(file, lines), (tail) => `${message}\n--- last ${lines} lines of ${file} ---\n${tail}\n---`)
