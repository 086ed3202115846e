/**
 * Every list about destinations is derived from their one declaration (src/modules/destinations.ts):
 * module names and aliases, connection types, the schemas stream loading uses, the JSON Schemas in
 * schemas/, the runtime registry, and the files beside them. This checks they agree, so adding a
 * destination stays "its files + one entry + its conformance file" (README, Adding a destination).
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { generateJsonSchemas } from "../../../src/config/jsonSchemas.ts"
import { destinations } from "../../../src/modules/destinations.ts"
import {
  connectionSpecFor,
  connectionTypes,
  loadDestination,
  moduleAliases,
  moduleNames,
  moduleSchemas,
  resolveModuleName
} from "../../../src/modules/registry.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const modulesDir = join(root, "src", "modules")
/** files in src/modules/ that are the destinations' shared machinery, not a destination */
const shared = [
  "Destination.ts",
  "abortable.ts",
  "brokerMessage.ts",
  "defineDestination.ts",
  "destinations.ts",
  "registry.ts"
]
const declaredNames = destinations.map((declared) => declared.name as string).sort()
const capitalized = (name: string) => `${name[0]?.toUpperCase()}${name.slice(1)}`

/** the names each `properties.<key>` allows, anywhere in a JSON Schema (an `enum`, or `anyOf` of them) */
const enumsOf = (schema: unknown, key: string): Array<ReadonlyArray<string>> => {
  const found: Array<ReadonlyArray<string>> = []
  const allowed = (node: unknown): ReadonlyArray<string> => {
    const values: unknown = Reflect.get(Object(node), "enum")
    const choices: unknown = Reflect.get(Object(node), "anyOf")
    if (Array.isArray(values)) return values.map(String)
    return Array.isArray(choices) ? choices.flatMap(allowed) : []
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk)
    else if (typeof node === "object" && node !== null) {
      const property: unknown = Reflect.get(Object(Reflect.get(node, "properties")), key)
      if (property !== undefined) found.push(allowed(property))
      Object.values(node).forEach(walk)
    }
  }
  walk(schema)
  return found
}
const jsonSchema = (file: string): unknown =>
  JSON.parse(generateJsonSchemas().find((generated) => generated.file === file)?.text ?? "null")

describe("destination declarations", () => {
  it("declare each module once, with a config schema, under its own name", () => {
    expect(new Set(declaredNames).size).toBe(destinations.length)
    expect([...moduleNames].sort()).toEqual(declaredNames)
    expect(Object.keys(moduleSchemas).sort()).toEqual(declaredNames)
    for (const declared of destinations) {
      expect(moduleSchemas[declared.name]).toBe(declared)
      expect(declared.config).toBeDefined()
      expect(declared.description.length).toBeGreaterThan(0)
    }
  })

  it("give each alias to one module, never shadowing a name, and resolve only their own names", () => {
    for (const declared of destinations) {
      for (const alias of declared.aliases) {
        expect(moduleNames).not.toContain(alias)
        expect(moduleAliases[alias]).toBe(declared.name)
        expect(resolveModuleName(` ${alias} `)).toBe(declared.name)
      }
    }
    expect(Object.keys(moduleAliases).length).toBe(destinations.flatMap((declared) => declared.aliases).length)
    expect(resolveModuleName("constructor")).toBeUndefined()
    expect(resolveModuleName("__proto__")).toBeUndefined()
  })

  it("map every connection type to exactly one module", () => {
    for (const type of connectionTypes) {
      const owners = moduleNames.filter((name) => moduleSchemas[name].connection?.type === type)
      expect(owners).toHaveLength(1)
      expect(connectionSpecFor(type).type).toBe(type)
    }
    expect(new Set(connectionTypes).size).toBe(connectionTypes.length)
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

  it("appear in the generated JSON Schemas: one step variant per module (with its aliases), one entry per connection type", () => {
    const steps = enumsOf(jsonSchema("stream.schema.json"), "module")
    expect(steps.map((names) => [...names].sort()).sort()).toEqual(
      destinations.map((declared) => [declared.name, ...declared.aliases].sort()).sort()
    )
    const entries = enumsOf(jsonSchema("connections.schema.json"), "type")
    expect(entries.flat().sort()).toEqual([...connectionTypes].sort())
  })

  it("load a runtime for every module, holding the declared schemas", async () => {
    for (const declared of destinations) {
      const spec = await loadDestination(declared.name)
      expect(spec.name).toBe(declared.name)
      expect(spec.config).toBe(declared.config)
      expect(spec.connection).toBe(declared.connection)
      expect(typeof spec.make).toBe("function")
      expect(await loadDestination(declared.name)).toBe(spec)
    }
  })

  it("are all there is: no runtime file, schema folder or conformance file outside the list", () => {
    const runtimeFiles = readdirSync(modulesDir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && !shared.includes(entry.name))
      .map((entry) => entry.name.replace(/\.ts$/, ""))
    expect(runtimeFiles.sort()).toEqual(declaredNames)
    const schemaFolders = readdirSync(modulesDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .filter((entry) => readdirSync(join(modulesDir, entry.name)).includes(`${capitalized(entry.name)}Config.ts`))
      .map((entry) => entry.name)
    expect(schemaFolders.sort()).toEqual(declaredNames)
    const conformanceFiles = readdirSync(join(root, "test", "conformance"))
      .filter((file) => file.endsWith(".test.ts"))
      .map((file) => file.replace(/\.test\.ts$/, ""))
    expect(conformanceFiles.sort()).toEqual(declaredNames)
  })
})

describe("README's Adding a destination", () => {
  it("names the files this test checks", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8")
    const section = readme.slice(readme.indexOf("### Adding a destination"))
    for (const path of [
      "src/modules/sqs/SqsConfig.ts",
      "src/modules/sqs.ts",
      "src/modules/destinations.ts",
      "test/conformance/sqs.test.ts",
      "test/unit/modules/registry.test.ts"
    ]) {
      expect(section).toContain(`\`${path}\``)
    }
  })
})
