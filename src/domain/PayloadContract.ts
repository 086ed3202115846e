/**
 * A stream's payload contract (`payload_schema`): what the ingress (422) and the processor
 * (dead letter `invalid_payload`) check a payload against. The domain knows only the
 * interface; the JSON Schema validator behind it is compiled once when the config loads
 * (config/payloadSchema.ts). A problem names where and what, never the value found there:
 * payloads carry personal data, and answers and dead letters are read by other people.
 */

export interface PayloadProblem {
  /** JSON Pointer into the payload ("" is the payload itself) */
  readonly path: string
  /** what the schema wants there ("must be string"), without the value */
  readonly message: string
}

export interface PayloadContract {
  /** the first few problems of a payload (at most `MAX_PAYLOAD_PROBLEMS`); empty when it matches */
  readonly check: (payload: unknown) => ReadonlyArray<PayloadProblem>
}

/** How many problems an answer or a dead letter lists: enough to fix a producer, not a flood. */
export const MAX_PAYLOAD_PROBLEMS = 5

/** One line for a dead letter's error message or a test's failure: `/a: must be string; /b: …`. */
export const describePayloadProblems = (problems: ReadonlyArray<PayloadProblem>): string =>
  `the payload does not match the stream's payload_schema: ${problems
    .map((p) => `${p.path === "" ? "(root)" : p.path}: ${p.message}`)
    .join("; ")}`
