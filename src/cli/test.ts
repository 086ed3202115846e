/**
 * `hookstream test [paths…]`: runs every stream's inline `tests:` with simulated
 * destinations and a test clock; one PASS/FAIL line per test, exit 1 on any failure.
 * Streams that do not validate are reported like `hookstream validate` does (exit 1).
 */
import { Console, Effect, Option, References } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { DEFAULT_STREAMS_DIR } from "../config/loadStreams.ts"
import { runStreamTests } from "../streamTests/runStreamTests.ts"
import { CliExit, EXIT_FAILURE } from "./CliExit.ts"
import { loadConfigOrExit } from "./loadConfigOrExit.ts"

export const testCommand = Command.make(
  "test",
  {
    paths: Argument.String("paths").pipe(
      Argument.withDescription(`Stream files or directories (default: ${DEFAULT_STREAMS_DIR}/)`),
      Argument.variadic()
    ),
    connections: Flag.String("connections").pipe(
      Flag.withDescription("The connections file (default: connections.yaml next to the streams)"),
      Flag.optional
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the results as JSON"), Flag.withDefault(false)),
    verbose: Flag.Boolean("verbose").pipe(
      Flag.withDescription("Also print the log lines of the simulated runs (dead letters, retries, log modules)"),
      Flag.withDefault(false)
    )
  },
  Effect.fn("test")(function* ({ paths, connections, json, verbose }) {
    const config = yield* loadConfigOrExit(
      "test",
      { paths, ...(Option.isSome(connections) ? { connections: connections.value } : {}) },
      "no test ran"
    )
    // the simulated runs log like the processor does (a failing case dead-letters its event);
    // between the PASS/FAIL lines that is noise, so only --verbose shows it
    const results = yield* verbose
      ? runStreamTests(config.streams)
      : runStreamTests(config.streams).pipe(Effect.provideService(References.MinimumLogLevel, "None"))
    const failed = results.filter((r) => !r.passed)
    if (json) {
      yield* Console.log(
        JSON.stringify({ passed: results.length - failed.length, failed: failed.length, results }, null, 2)
      )
    } else {
      for (const r of results) {
        yield* Console.log(`${r.passed ? "PASS" : "FAIL"} ${r.stream} › ${r.name}`)
        for (const m of r.mismatches) yield* Console.log(`     ${m}`)
      }
      const streamsWithout = config.streams.filter((s) => s.tests.length === 0).map((s) => s.plan.webhookId)
      if (streamsWithout.length > 0) yield* Console.log(`(no inline tests: ${streamsWithout.join(", ")})`)
      yield* Console.log(`${results.length - failed.length} passed, ${failed.length} failed`)
    }
    if (failed.length > 0) return yield* new CliExit({ code: EXIT_FAILURE })
  })
).pipe(
  Command.withDescription(
    "Run each stream's inline tests (simulated destinations: succeed, fail, hang, flaky) against the real engine with a test clock. Exit 1 on any failure."
  ),
  Command.withExamples([{ command: "hookstream test streams/orders.yaml", description: "One stream's tests" }])
)
