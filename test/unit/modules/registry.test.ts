import { describe, expect, it } from "vitest"
import { moduleNames } from "../../../src/domain/ModuleName.ts"
import { connectionSpecFor, connectionTypes, moduleSchemas } from "../../../src/modules/registry.ts"

describe("module registry", () => {
  it("has schemas for every module name, each under its own name", () => {
    expect(Object.keys(moduleSchemas).sort()).toEqual([...moduleNames].sort())
    for (const name of moduleNames) expect(moduleSchemas[name].name).toBe(name)
  })

  it("maps every connection type to exactly one module, and log/file to none", () => {
    for (const type of connectionTypes) {
      const owners = moduleNames.filter((name) => moduleSchemas[name].connection?.type === type)
      expect(owners).toEqual([type])
      expect(connectionSpecFor(type).type).toBe(type)
    }
    expect(moduleSchemas.log.connection).toBeUndefined()
    expect(moduleSchemas.file.connection).toBeUndefined()
    expect(moduleSchemas.http.connection?.required).toBe(false)
    expect(moduleNames.filter((n) => moduleSchemas[n].connection?.required === true).sort()).toEqual([
      "kafka",
      "mqtt",
      "mysql",
      "nats",
      "postgresql",
      "rabbitmq",
      "redis"
    ])
  })
})
