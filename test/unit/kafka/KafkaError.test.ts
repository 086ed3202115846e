/**
 * Errors of both clients mapped once: the broker's error name (`code`), whether a retry may
 * help, and whether the producer was fenced, found wherever the client wraps them (KafkaJS's
 * `originalError`, platformatic's `errors` of a MultipleErrors).
 */
import { MultipleErrors, NetworkError, ProtocolError } from "@platformatic/kafka"
import { describe, expect, it } from "vitest"
import { toKafkaError } from "../../../src/kafka/KafkaError.ts"

describe("toKafkaError", () => {
  it("KafkaJS: the broker's type, its retriable flag, fencing", () => {
    const tooLarge = Object.assign(new Error("too large"), {
      name: "KafkaJSProtocolError",
      type: "MESSAGE_TOO_LARGE",
      retriable: false
    })
    expect(toKafkaError("producer.send", tooLarge)).toMatchObject({
      code: "MESSAGE_TOO_LARGE",
      retriable: false,
      fenced: false
    })
    const fenced = Object.assign(new Error("retries exceeded"), {
      name: "KafkaJSNumberOfRetriesExceeded",
      retriable: false,
      originalError: Object.assign(new Error("fenced"), { type: "PRODUCER_FENCED" })
    })
    expect(toKafkaError("transaction.commit", fenced)).toMatchObject({ fenced: true, code: "PRODUCER_FENCED" })
  })

  it("platformatic: a protocol error inside MultipleErrors; retriable unless one says it cannot be", () => {
    const fenced = new MultipleErrors("EndTxn failed", [new ProtocolError("PRODUCER_FENCED")])
    expect(toKafkaError("transaction.commit", fenced)).toMatchObject({
      fenced: true,
      code: "PRODUCER_FENCED",
      retriable: false
    })
    const tooLarge = new MultipleErrors("Produce failed", [new ProtocolError("MESSAGE_TOO_LARGE")])
    expect(toKafkaError("producer.send", tooLarge).code).toBe("MESSAGE_TOO_LARGE")
    const network = new MultipleErrors("Produce failed", [new NetworkError("Connection closed")])
    expect(toKafkaError("producer.send", network)).toMatchObject({ retriable: true, fenced: false, code: "" })
  })
})
