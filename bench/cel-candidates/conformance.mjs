// Runs CEL's conformance "simple" tests (shipped by @bufbuild/cel-spec) that need no protobuf
// messages against three JS CEL implementations (why hookstream uses @marcbachmann/cel-js:
// docs/expressions.md). Not part of the build: the candidates are not dependencies.
//
//   mkdir /tmp/cel && cd /tmp/cel && npm init -y && npm i @bufbuild/cel@0.6.1 @bufbuild/cel-spec@0.6.1 \
//     @marcbachmann/cel-js@8.0.0 cel-js@0.8.2
//   cp <repo>/bench/cel-candidates/*.mjs . && node conformance.mjs && node speed.mjs
//   SHOW=marc node conformance.mjs   # also lists marc's failures

import * as buf from "@bufbuild/cel"
import { getConformanceSuite } from "@bufbuild/cel-spec/testdata/tests.js"
import * as marc from "@marcbachmann/cel-js"
import * as chrome from "cel-js"
import { UnsignedInt } from "./node_modules/@marcbachmann/cel-js/lib/functions.js"

const SKIP_SECTIONS = new Set([
  "proto2",
  "proto3",
  "proto2_ext",
  "enums",
  "wrappers",
  "dynamic",
  "unknowns",
  "namespace",
  "type_deductions"
])
class Unsupported extends Error {}

// Value (proto) → neutral JS: { t: "int" | "uint" | "double" | ..., v }
const fromValue = (value) => {
  const k = value.kind
  switch (k.case) {
    case "nullValue":
      return { t: "null", v: null }
    case "boolValue":
      return { t: "bool", v: k.value }
    case "int64Value":
      return { t: "int", v: BigInt(k.value) }
    case "uint64Value":
      return { t: "uint", v: BigInt(k.value) }
    case "doubleValue":
      return { t: "double", v: k.value }
    case "stringValue":
      return { t: "string", v: k.value }
    case "bytesValue":
      return { t: "bytes", v: k.value }
    case "listValue":
      return { t: "list", v: k.value.values.map(fromValue) }
    case "mapValue":
      return { t: "map", v: k.value.entries.map((e) => [fromValue(e.key), fromValue(e.value)]) }
    default:
      throw new Unsupported(k.case)
  }
}

const toLib = (lib) => (n) => {
  switch (n.t) {
    case "int":
      return lib === "chrome" ? Number(n.v) : n.v
    case "uint":
      return lib === "buf" ? buf.celUint(n.v) : lib === "marc" ? new UnsignedInt(n.v) : Number(n.v)
    case "list":
      return n.v.map(toLib(lib))
    case "map": {
      if (lib === "chrome" || lib === "marc") {
        if (n.v.every(([k]) => k.t === "string")) return Object.fromEntries(n.v.map(([k, v]) => [k.v, toLib(lib)(v)]))
        if (lib === "chrome") throw new Unsupported("non-string map key")
      }
      return new Map(n.v.map(([k, v]) => [toLib(lib)(k), toLib(lib)(v)]))
    }
    default:
      return n.v
  }
}

// lib output → neutral comparable string
const norm = (x, lib) => {
  if (x === null) return "null"
  if (typeof x === "bigint") return `int:${x}`
  if (typeof x === "number")
    return lib === "chrome" && Number.isInteger(x) && !Object.is(x, -0) ? `num:${x}` : `double:${x}`
  if (typeof x === "boolean" || typeof x === "string") return `${typeof x}:${x}`
  if (x instanceof Uint8Array) return `bytes:${[...x]}`
  if (x instanceof UnsignedInt) return `uint:${x.value}`
  if (buf.isCelUint(x)) return `uint:${x.value}`
  if (Array.isArray(x)) return `[${x.map((e) => norm(e, lib)).join(",")}]`
  if (buf.isCelList(x)) return `[${[...x].map((e) => norm(e, lib)).join(",")}]`
  if (x instanceof Map || buf.isCelMap(x)) {
    const entries = [...(x instanceof Map ? x.entries() : x.entries())].map(
      ([k, v]) => `${norm(k, lib)}=${norm(v, lib)}`
    )
    return `{${entries.sort().join(",")}}`
  }
  if (typeof x === "object")
    return `{${Object.entries(x)
      .map(([k, v]) => `string:${k}=${norm(v, lib)}`)
      .sort()
      .join(",")}}`
  throw new Unsupported(`output ${typeof x}`)
}
const expectedNorm = (n, lib) => {
  switch (n.t) {
    case "int":
      return lib === "chrome" ? `num:${n.v}` : `int:${n.v}`
    case "uint":
      return lib === "chrome" ? `num:${n.v}` : `uint:${n.v}`
    case "double":
      return Number.isInteger(n.v) && !Object.is(n.v, -0) && lib === "chrome" ? `num:${n.v}` : `double:${n.v}`
    case "null":
      return "null"
    case "bytes":
      return `bytes:${[...n.v]}`
    case "list":
      return `[${n.v.map((e) => expectedNorm(e, lib)).join(",")}]`
    case "map":
      return `{${n.v
        .map(([k, v]) => `${expectedNorm(k, lib)}=${expectedNorm(v, lib)}`)
        .sort()
        .join(",")}}`
    default:
      return `${n.t === "bool" ? "boolean" : n.t}:${n.v}`
  }
}

const runners = {
  buf: (expr, vars) => {
    const r = buf.run(expr, vars)
    if (buf.isCelError(r)) throw new Error(String(r.message ?? r))
    return r
  },
  marc: (expr, vars) => marc.evaluate(expr, vars),
  chrome: (expr, vars) => chrome.evaluate(expr, vars)
}

const stats = {}
for (const lib of Object.keys(runners)) stats[lib] = { pass: 0, fail: 0, crash: 0, perSection: {} }
let total = 0
let lastOut = ""
const suite = getConformanceSuite()
for (const section of suite.suites) {
  if (SKIP_SECTIONS.has(section.name)) continue
  for (const sub of section.suites) {
    for (const test of [...sub.tests, ...sub.suites.flatMap((s) => s.tests)]) {
      const t = test.original
      if (t.disableMacros || t.checkOnly || t.container !== "" || t.typeEnv.length > 0) continue
      let bindings, expected
      try {
        bindings = Object.fromEntries(
          Object.entries(t.bindings).map(([k, v]) => {
            if (v.kind.case !== "value") throw new Unsupported("binding")
            return [k, fromValue(v.kind.value)]
          })
        )
        const m = t.resultMatcher
        if (m.case === "value") expected = { ok: fromValue(m.value) }
        else if (m.case === "evalError" || m.case === "anyEvalErrors") expected = { error: true }
        else if (m.case === undefined) expected = { ok: { t: "bool", v: true } }
        else continue
      } catch (e) {
        if (e instanceof Unsupported) continue
        throw e
      }
      total++
      for (const [lib, run] of Object.entries(runners)) {
        const s = stats[lib]
        s.perSection[section.name] ??= { pass: 0, of: 0 }
        const sec = s.perSection[section.name]
        sec.of++
        let ok
        lastOut = ""
        try {
          const vars = Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, toLib(lib)(v)]))
          const out = run(t.expr, vars)
          lastOut = `${norm(out, lib)} want ${expected.ok ? expectedNorm(expected.ok, lib) : "error"}`
          ok = expected.ok !== undefined && norm(out, lib) === expectedNorm(expected.ok, lib)
        } catch (e) {
          lastOut = `threw ${String(e.message).slice(0, 80)}`
          ok = expected.error === true
        }
        if (ok) {
          s.pass++
          sec.pass++
        } else {
          s.fail++
          if (process.env.SHOW === lib) console.log("FAIL", section.name, JSON.stringify(t.expr), lastOut)
        }
      }
    }
  }
}
const EXT = new Set(["bindings_ext", "block_ext", "encoders_ext", "math_ext", "string_ext", "optionals", "macros2"])
for (const [lib, s] of Object.entries(stats)) {
  let p = 0,
    o = 0
  for (const [k, v] of Object.entries(s.perSection))
    if (!EXT.has(k)) {
      p += v.pass
      o += v.of
    }
  console.log(`${lib} core CEL (no extensions): ${p}/${o} (${((100 * p) / o).toFixed(1)}%)`)
}
console.log(`conformance cases usable without protobuf messages: ${total}`)
for (const [lib, s] of Object.entries(stats)) {
  console.log(lib, `${s.pass}/${total} (${((100 * s.pass) / total).toFixed(1)}%)`)
  console.log(
    "  ",
    Object.entries(s.perSection)
      .map(([k, v]) => `${k} ${v.pass}/${v.of}`)
      .join(", ")
  )
}
