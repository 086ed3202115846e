import { Effect } from "effect"
import { awaitBroker } from "./awaitBroker.ts"
import type { BrokerProcess } from "./BrokerProcess.ts"
import type { BrokerFiles } from "./brokerFiles.ts"
import { LocalKafkaError } from "./LocalKafkaError.ts"
import { withLogTail } from "./logTail.ts"

/**
 * Waits for a freshly spawned broker to answer, failing at once if its JVM exits (bad config,
 * port taken, wrong Java) instead of waiting out the timeout. Either failure carries the log tail.
 */
export const awaitRunning = (
  broker: BrokerProcess,
  files: BrokerFiles,
  timeoutMs: number
): Effect.Effect<void, LocalKafkaError> => {
  const exited = broker.exited.pipe(
    Effect.flatMap((exit) =>
      withLogTail(
        `the Kafka broker JVM (pid ${broker.pid}) exited with ${exit.code ?? exit.signal} before it answered`,
        files.logFile
      )
    ),
    Effect.flatMap((message) =>
      Effect.fail(new LocalKafkaError({ reason: "broker_exited", message, logFile: files.logFile }))
    )
  )
  const ready = awaitBroker(`127.0.0.1:${files.port}`, timeoutMs).pipe(
    Effect.catch((error) =>
      withLogTail(error.message, files.logFile).pipe(
        Effect.flatMap((message) =>
          Effect.fail(new LocalKafkaError({ reason: error.reason, message, logFile: files.logFile }))
        )
      )
    )
  )
  return Effect.raceFirst(ready, exited)
}
