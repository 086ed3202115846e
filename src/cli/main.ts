/**
 * The `hookstream` executable (bin/hookstream.js imports this file): run the command line
 * on Node and exit with the code it answers.
 */
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect } from "effect"
import { runCli } from "./runCli.ts"
import { runMain } from "./runMain.ts"

runMain(runCli(process.argv.slice(2)).pipe(Effect.provide(NodeServices.layer)))
