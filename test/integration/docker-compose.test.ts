/**
 * docker-compose.yml cannot be run here (no Docker engine); .ci/run validates its syntax with
 * docker-compose. This checks what a schema cannot: the stack matches the machine's services
 * plus hookstream's own (processor, ingress, console from the Dockerfile's image), each has a
 * healthcheck (`up --wait` depends on it), Kafka runs our broker version, and hookstream's
 * services reach Kafka on the listener it advertises to containers.
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
  readonly build?: string
  readonly command?: ReadonlyArray<string>
  readonly environment?: Readonly<Record<string, string>>
  readonly depends_on?: Readonly<Record<string, { readonly condition: string }>>
  readonly ports?: ReadonlyArray<string>
  readonly healthcheck?: { readonly test?: unknown }
}

const HOOKSTREAM_SERVICES = ["processor", "ingress", "console"]

const compose = parse(await readFile(join(import.meta.dirname, "../../docker-compose.yml"), "utf8")) as {
  readonly services: Readonly<Record<string, ComposeService>>
}

describe("docker-compose.yml", () => {
  it("runs Kafka at KAFKA_VERSION, plus every machine service", () => {
    expect(compose.services["kafka"]?.image).toBe(`apache/kafka:${KAFKA_VERSION}`)
    expect(Object.keys(compose.services).sort()).toEqual(["kafka", ...serviceNames, ...HOOKSTREAM_SERVICES].sort())
  })

  it.each(Object.keys(compose.services))("%s has a healthcheck", (name) => {
    expect(compose.services[name]?.healthcheck?.test).toBeDefined()
  })

  it.each(serviceNames)("%s publishes the port the tests expect", (name) => {
    const { port } = serviceAddress(name, {})
    expect(compose.services[name]?.ports).toContain(`${port}:${port}`)
  })

  it.each(HOOKSTREAM_SERVICES)("%s runs the Dockerfile's image with a hookstream command, after Kafka", (name) => {
    const service = compose.services[name]
    expect(service?.image).toBe("hookstream:local")
    expect(["run", "ingress", "console"]).toContain(service?.command?.[0])
    // containers reach Kafka on the listener it advertises under its service name
    expect(service?.environment?.["KAFKA_BROKERS"]).toBe("kafka:19092")
    const waitsFor = Object.keys(service?.depends_on ?? {})
    expect(waitsFor.some((d) => d === "kafka" || HOOKSTREAM_SERVICES.includes(d))).toBe(true)
    for (const d of Object.values(service?.depends_on ?? {})) expect(d.condition).toBe("service_healthy")
  })

  it("builds the image once (the processor), and Kafka advertises kafka:19092 to the containers", () => {
    expect(HOOKSTREAM_SERVICES.filter((n) => compose.services[n]?.build !== undefined)).toEqual(["processor"])
    expect(compose.services["processor"]?.build).toBe(".")
    const env = compose.services["kafka"]?.environment ?? {}
    expect(env["KAFKA_ADVERTISED_LISTENERS"]).toContain("DOCKER://kafka:19092")
    expect(env["KAFKA_LISTENERS"]).toContain("DOCKER://:19092")
    // the host's tests keep localhost:9092
    expect(env["KAFKA_ADVERTISED_LISTENERS"]).toContain("PLAINTEXT://localhost:9092")
  })
})
