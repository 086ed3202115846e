import type { TestProject } from "vitest/node"
import { KAFKA_VERSION } from "../../src/kafka/local/KafkaVersion.ts"
import { startLocalKafka } from "../../src/kafka/local/startLocalKafka.ts"
import { browserSkipReason } from "./browser.ts"

declare module "vitest" {
  export interface ProvidedContext {
    /** bootstrap servers of the run's Kafka: the broker started below, or KAFKA_BROKERS */
    kafkaBrokers: string
  }
}

/**
 * One broker for the whole integration run (test files share it and keep apart by unique
 * topic and group names). KAFKA_BROKERS=host:port uses that cluster instead and starts nothing.
 * The teardown always stops the broker; should vitest die without running it, the broker is
 * killed with it (see src/kafka/local/BrokerProcess.ts). It also repeats, last, that the
 * console's browser suite was skipped when there is no Chromium (see ./browser.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const kafka = await startLocalKafka()
  project.provide("kafkaBrokers", kafka.brokers)
  process.stderr.write(
    kafka.external
      ? `integration tests use KAFKA_BROKERS=${kafka.brokers}\n`
      : `Kafka ${KAFKA_VERSION} test broker at ${kafka.brokers} (ready in ${kafka.startedInMs} ms; log: ${kafka.logFile})\n`
  )
  const skipped = browserSkipReason()
  return async () => {
    await kafka.stop()
    if (skipped !== undefined)
      process.stderr.write(
        `\n*** test/integration/console/console.test.ts (the console in a browser): ${skipped} ***\n\n`
      )
  }
}
