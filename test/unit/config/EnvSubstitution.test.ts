// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config values use the literal ${VAR} syntax
import { describe, expect, it } from "vitest"
import { substituteEnv } from "../../../src/config/EnvSubstitution.ts"

describe("substituteEnv", () => {
  it("replaces ${VAR} anywhere in string values, recursively, and never in keys", () => {
    const result = substituteEnv({ "${A}": ["x-${A}-y", { deep: "${B}" }], n: 1, t: true }, { A: "1", B: "two" })
    expect(result.value).toEqual({ "${A}": ["x-1-y", { deep: "two" }], n: 1, t: true })
    expect([...result.substituted].sort()).toEqual(["${A}.0", "${A}.1.deep"])
    expect([...result.wholeReferences]).toEqual(["${A}.1.deep"])
    expect(result.problems).toEqual([])
  })

  it("uses the default when the variable is unset or empty, as POSIX shells do", () => {
    expect(substituteEnv("${X:-d}", {}).value).toBe("d")
    expect(substituteEnv("${X:-d}", { X: "" }).value).toBe("d")
    expect(substituteEnv("${X:-d}", { X: "v" }).value).toBe("v")
    expect(substituteEnv("${X:-}", {}).value).toBe("")
    expect(substituteEnv("${X:-127.0.0.1:9092}", {}).value).toBe("127.0.0.1:9092")
  })

  it("keeps an empty value without a default", () => {
    expect(substituteEnv("${X}", { X: "" })).toMatchObject({ value: "", problems: [] })
  })

  it("reports an unset variable with its name and path", () => {
    const result = substituteEnv({ a: { b: "${MISSING}" } }, {})
    expect(result.problems).toEqual([
      { path: ["a", "b"], message: "environment variable MISSING is not set (write ${MISSING:-default} for a default)" }
    ])
    expect([...result.unresolved]).toEqual(["a.b"])
  })

  it("writes a literal ${ for $${ and rejects malformed references", () => {
    expect(substituteEnv("$${HOME}", { HOME: "/h" }).value).toBe("${HOME}")
    for (const bad of ["${1X}", "${X", "${}"]) {
      expect(substituteEnv(bad, {}).problems[0]?.message).toMatch(/^malformed \$\{…\} reference/)
    }
  })

  it("keeps __proto__ an ordinary key and does not touch the input", () => {
    const input = JSON.parse('{"__proto__": {"x": "${A}"}}')
    const result = substituteEnv(input, { A: "1" })
    expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype)
    expect(Object.keys(result.value as object)).toEqual(["__proto__"])
    expect(Object.getOwnPropertyDescriptor(input, "__proto__")?.value.x).toBe("${A}")
  })
})
