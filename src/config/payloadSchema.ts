/**
 * `payload_schema` compiled into a `PayloadContract` once, when the config loads: JSON Schema
 * draft 2020-12 with the standard formats (ajv + ajv-formats). A schema that does not compile
 * (invalid, an unknown keyword, an unresolvable `$ref`: no schema is fetched from the network)
 * is a config problem, never a failure at the first event.
 */
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import { MAX_PAYLOAD_PROBLEMS, type PayloadContract, type PayloadProblem } from "../domain/PayloadContract.ts"

// a CommonJS module: its function is the default export's `default`
const addFormats = addFormatsModule.default

const escapePointer = (name: string) => name.replace(/~/g, "~0").replace(/\//g, "~1")

/** ajv's error as a problem; a missing property is pointed at (its name comes from the schema). */
const problemOf = (error: ErrorObject): PayloadProblem => {
  const missing =
    error.keyword === "required" ? (error.params as { missingProperty?: unknown }).missingProperty : undefined
  return typeof missing === "string"
    ? { path: `${error.instancePath}/${escapePointer(missing)}`, message: "is required" }
    : { path: error.instancePath, message: error.message ?? `fails ${error.keyword}` }
}

export type CompiledSchema =
  | { readonly ok: true; readonly contract: PayloadContract }
  | { readonly ok: false; readonly problem: string }

export const compilePayloadSchema = (schema: unknown): CompiledSchema => {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    return { ok: false, problem: "expected a JSON Schema (an object)" }
  // one validator per stream: schemas of different streams may reuse an $id
  const ajv = new Ajv2020({
    allErrors: true,
    // unknown keywords are typos to report; type-applicability hints are style, not errors
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    logger: false
  })
  addFormats(ajv)
  let validate: ReturnType<typeof ajv.compile>
  try {
    validate = ajv.compile(schema)
  } catch (error) {
    return { ok: false, problem: `not a usable JSON Schema: ${error instanceof Error ? error.message : String(error)}` }
  }
  return {
    ok: true,
    contract: {
      check: (payload) => {
        if (validate(payload)) return []
        return (validate.errors ?? []).slice(0, MAX_PAYLOAD_PROBLEMS).map(problemOf)
      }
    }
  }
}
