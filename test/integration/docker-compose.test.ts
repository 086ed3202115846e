/**
 * docker-compose.yml cannot be run here (no Docker engine); .ci/run validates its syntax with
 * docker-compose. This checks what a schema cannot: the stack matches the machine's services,
 * each has a healthcheck (`up --wait` depends on it), and Kafka runs our broker version.
 * Lives with the integration tests because test/unit/ mirrors src/.
 */
import { readFile } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { parse } from "yaml"
import { KAFKA_VERSION } from "../../src/kafka/local/KafkaVersion.ts"
import { serviceAddress, serviceNames } from "../support/services.ts"

interface ComposeService {
  readonly image?: string
  readonly ports?: ReadonlyArray<string>
  readonly healthcheck?: { readonly test?: unknown }
}

const compose = parse(await readFile(join(import.meta.dirname, "../../docker-compose.yml"), "utf8")) as {
  readonly services: Readonly<Record<string, ComposeService>>
}

describe("docker-compose.yml", () => {
  it("runs Kafka at KAFKA_VERSION, plus every machine service", () => {
    expect(compose.services["kafka"]?.image).toBe(`apache/kafka:${KAFKA_VERSION}`)
    expect(Object.keys(compose.services).sort()).toEqual(["kafka", ...serviceNames].sort())
  })

  it.each(Object.keys(compose.services))("%s has a healthcheck", (name) => {
    expect(compose.services[name]?.healthcheck?.test).toBeDefined()
  })

  it.each(serviceNames)("%s publishes the port the tests expect", (name) => {
    const { port } = serviceAddress(name, {})
    expect(compose.services[name]?.ports).toContain(`${port}:${port}`)
  })
})
