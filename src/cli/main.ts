/**
 * The `hookstream` executable (bin/hookstream.js imports this file): run the command line
 * on Node and exit with the code it answers.
 */
import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { Effect, Exit, Runtime } from "effect"
import { runCli } from "./runCli.ts"

NodeRuntime.runMain(runCli(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer)), {
  teardown: (exit, onExit) =>
    Exit.isSuccess(exit) && typeof exit.value === "number" ? onExit(exit.value) : Runtime.defaultTeardown(exit, onExit)
})
