/**
 * How a command ends with a non-zero exit code after it has printed what it had to say
 * (1 = the input is invalid or the operation failed). Usage errors (2) come from the
 * argument parser; see runCli.ts.
 */
import { Schema } from "effect"

export class CliExit extends Schema.TaggedError<CliExit>()("CliExit", {
  code: Schema.Int
}) {}

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2
