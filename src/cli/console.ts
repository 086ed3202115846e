/**
 * `hookstream console`: the operator console on a server of its own, next to processors
 * running elsewhere. DLQ browsing, replay (the same engine as `hookstream replay`) and the
 * stream diagrams work as in `hookstream run`'s console; the live view tails the results
 * and DLQ topics and polls the processors' group lag (in-flight counts and circuit states
 * are only known inside a processor: run its console for those).
 */
import { Config, Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { makeKafka } from "../kafka/kafkaClient.ts"
import { addLogSecrets } from "../observability/logFields.ts"
import { awaitBrokers, chooseBrokers } from "./brokers.ts"
import { CliExit, EXIT_FAILURE, usageError } from "./CliExit.ts"
import { loadConfigOrExit, streamPaths } from "./loadConfigOrExit.ts"
import { runFlags } from "./run.ts"

const withEnv = <A>(flag: Flag.Flag<A>, config: Config.Config<A>, fallback: A) =>
  flag.pipe(Flag.withFallbackConfig(config), Flag.withDefault(fallback))

export const DEFAULT_CONSOLE_PORT = 9465

const flags = {
  brokers: runFlags.brokers,
  group: runFlags.group,
  input: runFlags.input,
  results: runFlags.results,
  dlq: runFlags.dlq,
  streams: runFlags.streams,
  connections: runFlags.connections,
  host: withEnv(
    Flag.String("host").pipe(
      Flag.withDescription(
        "Address to listen on; other than loopback only with a token (env HOOKSTREAM_CONSOLE_HOST; default 127.0.0.1)"
      )
    ),
    Config.String("HOOKSTREAM_CONSOLE_HOST"),
    "127.0.0.1"
  ),
  port: withEnv(
    Flag.Int("port").pipe(
      Flag.withDescription(`Port; 0 picks a free one (env HOOKSTREAM_CONSOLE_PORT; default ${DEFAULT_CONSOLE_PORT})`)
    ),
    Config.Int("HOOKSTREAM_CONSOLE_PORT"),
    DEFAULT_CONSOLE_PORT
  ),
  token: runFlags.consoleToken
}

export const consoleCommand = Command.make(
  "console",
  flags,
  Effect.fn("console")(function* (input) {
    const chosen = yield* chooseBrokers("console", input.brokers)
    const config = yield* loadConfigOrExit(
      "console",
      { paths: streamPaths(input.streams), connections: input.connections },
      "console not started"
    )
    const kafka = makeKafka({
      brokers: yield* awaitBrokers("console", chosen),
      clientId: "hookstream-console",
      logToStderr: true
    })
    if (input.token !== "") addLogSecrets([input.token])
    const { consoleAccess } = yield* Effect.promise(() => import("../console/consoleAccess.ts"))
    const access = consoleAccess({ enabled: true, host: input.host, token: input.token })
    if (access._tag === "Disabled") return yield* usageError("console", access.reason)

    const [{ makeOpsServer }, { makeConsole }, { makeLiveHub }, { tailTopics }] = yield* Effect.promise(() =>
      Promise.all([
        import("../observability/opsServer.ts"),
        import("../console/mountConsole.ts"),
        import("../console/LiveHub.ts"),
        import("../console/topicTail.ts")
      ])
    )
    const failed = (message: string) =>
      Console.error(`hookstream console: ${message}`).pipe(
        Effect.andThen(Effect.fail(new CliExit({ code: EXIT_FAILURE })))
      )
    const server = yield* makeOpsServer({ host: input.host, port: input.port }).pipe(
      Effect.catchTag("OpsServerError", (e) => failed(e.message))
    )
    const hub = makeLiveHub()
    const topics = { input: input.input, results: input.results, dlq: input.dlq }
    yield* tailTopics(kafka, hub, {
      results: input.results,
      dlq: input.dlq,
      group: input.group,
      input: input.input
    }).pipe(Effect.catchTag("KafkaError", (e) => failed(`Kafka failed (${e.operation}: ${e.message})`)))
    const handler = yield* makeConsole(
      { enabled: true, token: input.token, kafka, topics, streams: () => config.streams },
      access,
      "standalone",
      hub
    )
    server.mount("console", handler)
    yield* Console.log(
      `hookstream console: ${server.url}/console/${access._tag === "Token" ? " (token required)" : ""}`
    )
    return yield* Effect.never
  }, Effect.scoped)
).pipe(
  Command.withDescription(
    "Serve the operator console (live flow from the results topic, streams, dead letters, replay) on its own port"
  ),
  Command.withExamples([
    { command: "hookstream console", description: "On http://127.0.0.1:9465/console/" },
    {
      command: "HOOKSTREAM_CONSOLE_TOKEN=$(openssl rand -hex 16) hookstream console --host 0.0.0.0",
      description: "Reachable from the network; every API call needs the token"
    }
  ])
)
