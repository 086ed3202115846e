/**
 * A step's `transform:` (the body its destination receives) and `headers:` (http headers
 * templated with `{{ <JSONata> }}` placeholders), compiled together into one `StepShape`.
 * The shared payload is read, never written or copied: the body is the transform's output.
 */
import { Effect } from "effect"
import {
  type ExpressionContext,
  type ExpressionFailure,
  expressionFailure,
  isExpressionFailure,
  type ShapedDelivery,
  type StepShape
} from "../domain/Expression.ts"
import { compileJsonata, type JsonataExpression, jsonataFailure } from "./jsonataExpression.ts"
import { BAIL } from "./jsonataFastPath.ts"
import { jsonSize } from "./jsonSize.ts"
import { type CompileProblem, expressionLimits } from "./limits.ts"

type Part = string | JsonataExpression

interface HeaderTemplate {
  readonly name: string
  readonly parts: ReadonlyArray<Part>
}

/** A problem with one part of the step's shape, at a path relative to the step. */
export interface ShapeProblem extends CompileProblem {
  readonly at: ReadonlyArray<string>
}

const PLACEHOLDER = /\{\{([\s\S]*?)\}\}/g

const compileTemplate = (
  name: string,
  template: string
): { readonly ok: HeaderTemplate } | { readonly problem: CompileProblem } => {
  const parts: Array<Part> = []
  let last = 0
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) parts.push(template.slice(last, match.index))
    const compiled = compileJsonata(match[1] ?? "")
    if ("problem" in compiled) {
      const column = compiled.problem.column === undefined ? undefined : match.index + 2 + compiled.problem.column
      return { problem: column === undefined ? compiled.problem : { ...compiled.problem, column } }
    }
    parts.push(compiled.ok)
    last = match.index + match[0].length
  }
  if (last < template.length) parts.push(template.slice(last))
  if (parts.some((p) => typeof p === "string" && (p.includes("{{") || p.includes("}}")))) {
    return { problem: { message: "unbalanced {{ }} placeholder" } }
  }
  return { ok: { name, parts } }
}

const SAFE_HEADER_VALUE = /^[^\r\n\0]*$/

export interface ShapeInput {
  readonly transform?: string
  readonly headers?: Readonly<Record<string, string>>
  /** `chain.<i>`, for messages */
  readonly path: string
  /** the largest body a transform may produce (the stream's max_payload_size) */
  readonly maxBodyBytes: number
}

export const compileStepShape = (
  input: ShapeInput
): { readonly shape: StepShape | undefined; readonly problems: ReadonlyArray<ShapeProblem> } => {
  const problems: Array<ShapeProblem> = []
  let transform: JsonataExpression | undefined
  if (input.transform !== undefined) {
    const compiled = compileJsonata(input.transform)
    if ("problem" in compiled) problems.push({ ...compiled.problem, at: ["transform"] })
    else transform = compiled.ok
  }
  const templates: Array<HeaderTemplate> = []
  for (const [name, template] of Object.entries(input.headers ?? {})) {
    const compiled = compileTemplate(name.toLowerCase(), template)
    if ("problem" in compiled) problems.push({ ...compiled.problem, at: ["headers", name] })
    else templates.push(compiled.ok)
  }
  if (problems.length > 0 || (transform === undefined && templates.length === 0)) return { shape: undefined, problems }
  const transformPath = `${input.path}.transform`
  const render = (context: ExpressionContext): Effect.Effect<ShapedDelivery, ExpressionFailure> => {
    const now = renderSync(transform, templates, context, transformPath, input.path, input.maxBodyBytes)
    if (now !== BAIL) return isExpressionFailure(now) ? Effect.fail(now) : Effect.succeed(now)
    return Effect.callback<ShapedDelivery, ExpressionFailure>((resume) => {
      renderShape(transform, templates, context, transformPath, input.path, input.maxBodyBytes).then(
        (result) => resume(isExpressionFailure(result) ? Effect.fail(result) : Effect.succeed(result)),
        (error: unknown) => resume(Effect.fail(jsonataFailure(transform?.source ?? "", transformPath, error)))
      )
    })
  }
  const shape: StepShape = {
    ...(transform === undefined ? {} : { transform: transform.source }),
    ...(templates.length === 0 ? {} : { headerNames: templates.map((t) => t.name) }),
    render
  }
  return { shape, problems }
}

/** The body and headers checked as one (the same rules whichever evaluator produced them). */
const checked = (
  body: unknown,
  headers: Record<string, string> | undefined,
  hasTransform: boolean,
  transform: JsonataExpression | undefined,
  transformPath: string,
  maxBodyBytes: number
): ShapedDelivery | ExpressionFailure => {
  if (hasTransform) {
    if (body === undefined) {
      return expressionFailure(
        "transform_failed",
        `${transformPath} \`${transform?.source.slice(0, 120) ?? ""}\` produced nothing (no match)`
      )
    }
    const size = jsonSize(body, maxBodyBytes)
    if ("over" in size) {
      return expressionFailure("expression_limit", `${transformPath}: the body is larger than ${maxBodyBytes} bytes`)
    }
    if ("notJson" in size) {
      return expressionFailure("transform_failed", `${transformPath}: the body holds ${size.notJson}, not JSON`)
    }
  }
  if (headers === undefined) return hasTransform ? { body } : {}
  return hasTransform ? { body, headers } : { headers }
}

/** Everything through the fast path, or BAIL as soon as one expression needs jsonata. */
const renderSync = (
  transform: JsonataExpression | undefined,
  templates: ReadonlyArray<HeaderTemplate>,
  context: ExpressionContext,
  transformPath: string,
  stepPath: string,
  maxBodyBytes: number
): ShapedDelivery | ExpressionFailure | typeof BAIL => {
  const body = transform === undefined ? undefined : transform.evaluateSync(context)
  if (body === BAIL) return BAIL
  let headers: Record<string, string> | undefined
  for (const template of templates) {
    let value = ""
    for (const part of template.parts) {
      if (typeof part === "string") {
        value += part
        continue
      }
      const rendered = part.evaluateSync(context)
      if (rendered === BAIL) return BAIL
      const text = headerText(rendered, part, `${stepPath}.headers.${template.name}`)
      if (typeof text !== "string") return text
      value += text
    }
    const problem = headerProblem(value, `${stepPath}.headers.${template.name}`)
    if (problem !== undefined) return problem
    headers ??= {}
    headers[template.name] = value
  }
  return checked(body, headers, transform !== undefined, transform, transformPath, maxBodyBytes)
}

const headerText = (rendered: unknown, part: JsonataExpression, headerPath: string): string | ExpressionFailure => {
  if (typeof rendered === "string" || typeof rendered === "number" || typeof rendered === "boolean") {
    return String(rendered)
  }
  const what = rendered === undefined ? "nothing (no match)" : "a value that is not a string, number or boolean"
  return expressionFailure("transform_failed", `${headerPath} \`{{${part.source}}}\` produced ${what}`)
}

const headerProblem = (value: string, headerPath: string): ExpressionFailure | undefined =>
  value.length > expressionLimits.headerValueChars || !SAFE_HEADER_VALUE.test(value)
    ? expressionFailure(
        "transform_failed",
        `${headerPath}: the rendered value is not a valid header value (line breaks, NUL, or over ${expressionLimits.headerValueChars} characters)`
      )
    : undefined

const renderShape = async (
  transform: JsonataExpression | undefined,
  templates: ReadonlyArray<HeaderTemplate>,
  context: ExpressionContext,
  transformPath: string,
  stepPath: string,
  maxBodyBytes: number
): Promise<ShapedDelivery | ExpressionFailure> => {
  let body: unknown
  if (transform !== undefined) {
    try {
      body = await transform.evaluate(context)
    } catch (error) {
      return jsonataFailure(transform.source, transformPath, error)
    }
  }
  let headers: Record<string, string> | undefined
  for (const template of templates) {
    const headerPath = `${stepPath}.headers.${template.name}`
    let value = ""
    for (const part of template.parts) {
      if (typeof part === "string") {
        value += part
        continue
      }
      let rendered: unknown
      try {
        rendered = await part.evaluate(context)
      } catch (error) {
        return jsonataFailure(part.source, headerPath, error)
      }
      const text = headerText(rendered, part, headerPath)
      if (typeof text !== "string") return text
      value += text
    }
    const problem = headerProblem(value, headerPath)
    if (problem !== undefined) return problem
    headers ??= {}
    headers[template.name] = value
  }
  return checked(body, headers, transform !== undefined, transform, transformPath, maxBodyBytes)
}
