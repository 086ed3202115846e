/**
 * KafkaJS logs every error response at ERROR, even the ones its retrier tries again; a healthy
 * `npm start` must not print ERROR lines for the broker's routine start-up answers.
 */
import { logLevel } from "kafkajs"
import { describe, expect, it } from "vitest"
import { kafkaLineLevel } from "../../../src/kafka/kafkaClient.ts"

const response = (error: string) => ["Response GroupCoordinator(key: 10, version: 2)", { error }] as const

describe("KafkaJS line levels", () => {
  it.each([
    "The coordinator is loading and hence can't process requests for this group",
    "The group coordinator is not available",
    "This is not the correct coordinator for this group",
    "This server is not the leader for that topic-partition",
    "The group is rebalancing, so a rejoin is needed",
    "The coordinator is not aware of this member",
    "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing"
  ])("a retried condition is debug, not ERROR: %s", (error) => {
    expect(kafkaLineLevel(logLevel.ERROR, ...response(error))).toBe("Debug")
  })

  it("a retried condition in the message itself (a send being retried) is debug too", () => {
    expect(
      kafkaLineLevel(
        logLevel.ERROR,
        "Failed to send messages: This server is not the leader for that topic-partition",
        {}
      )
    ).toBe("Debug")
  })

  it("a consumer crash on a routine condition, and the restart that retries it, are debug", () => {
    const crash =
      "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group"
    expect(kafkaLineLevel(logLevel.ERROR, crash, { groupId: "hookstream" })).toBe("Debug")
    expect(kafkaLineLevel(logLevel.ERROR, "Restarting the consumer in 300ms", { retryTime: 300 })).toBe("Debug")
    // a crash after the retries ran out stays an error
    const exhausted = "Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092"
    expect(kafkaLineLevel(logLevel.ERROR, exhausted, {})).toBe("Error")
  })

  it("errors that are not retried stay ERROR; warnings stay warnings", () => {
    expect(
      kafkaLineLevel(logLevel.ERROR, ...response("Not authorized to access topics: [Topic authorization failed]"))
    ).toBe("Error")
    expect(kafkaLineLevel(logLevel.ERROR, "Connection error: connect ECONNREFUSED 127.0.0.1:9092", {})).toBe("Error")
    expect(kafkaLineLevel(logLevel.WARN, "Consumer group is rebalancing", {})).toBe("Warn")
    expect(kafkaLineLevel(logLevel.INFO, "Starting", {})).toBe("Debug")
  })
})
