/**
 * One stream document → a frozen `StreamDefinition`, or every problem in it. The top
 * level, each step and each test are decoded independently, so one typo does not hide
 * the rest; rules that span fields (chain limits by execution, timeouts against the chain
 * deadline, unique ids, connections) are checked here.
 */
import type { ChainPlan, ModulePlan } from "../domain/ChainPlan.ts"
import { formatValue, type IssuePath } from "../domain/SchemaIssues.ts"
import { parseDuration } from "../schema/Duration.ts"
import { buildCondition } from "./buildExpressions.ts"
import { buildPayloadContract } from "./buildPayloadContract.ts"
import { buildStep } from "./buildStep.ts"
import { buildTests } from "./buildTests.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import { type DocumentContext, decodeSection } from "./decodeSection.ts"
import { deepFreeze } from "./deepFreeze.ts"
import { type Env, substituteEnv } from "./EnvSubstitution.ts"
import type { ConnectionsLoad } from "./loadConnections.ts"
import type { StreamDefinition } from "./StreamDefinition.ts"
import { limits, StreamFileLoading } from "./StreamFile.ts"

export interface StreamBuild {
  readonly stream: StreamDefinition | undefined
  /** the id the file declares, even when it has problems (for duplicate detection) */
  readonly id: string | undefined
  readonly issues: ReadonlyArray<ConfigIssue>
}

export interface StreamBuildOptions {
  readonly file: string
  readonly env: Env
  readonly connections: ConnectionsLoad
  /** files the stream may reference (payload_schema), by the path they were read from */
  readonly files?: ReadonlyMap<string, string>
  /** rewrites paths for display (legacy files) */
  readonly displayPath?: (path: IssuePath) => string
}

const NO_FILES: ReadonlyMap<string, string> = new Map()

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const buildStream = (documentValue: unknown, options: StreamBuildOptions): StreamBuild => {
  const { file } = options
  const display = options.displayPath ?? ((path: IssuePath) => path.join("."))
  const substitution = substituteEnv(documentValue, options.env)
  const issues: Array<ConfigIssue> = substitution.problems.map((p) => ({
    file,
    path: display(p.path),
    message: p.message
  }))
  const raw = substitution.value
  if (!isMapping(raw)) {
    issues.push({
      file,
      path: "",
      message: `expected a stream definition (a mapping with id and chain), got ${formatValue(raw)}`
    })
    return { stream: undefined, id: undefined, issues }
  }
  const document: DocumentContext = {
    file,
    substituted: substitution.substituted,
    wholeReferences: substitution.wholeReferences,
    unresolved: substitution.unresolved,
    ...(options.displayPath === undefined ? {} : { displayPath: options.displayPath })
  }
  const top = decodeSection(StreamFileLoading, raw, [], document)
  if (top._tag === "Failed") issues.push(...top.issues)
  const issue = (message: string, ...path: ReadonlyArray<string | number>) =>
    issues.push({ file, path: display(path), message })

  // When the top level has problems, steps are still checked against the values it most likely meant
  const id = top._tag === "Ok" ? top.value.id : typeof raw["id"] === "string" ? raw["id"] : undefined
  const execution =
    top._tag === "Ok" ? top.value.execution : raw["execution"] === "parallel" ? "parallel" : "sequential"
  // an invalid chain timeout is reported on its own; steps are then held only to the hard maximum
  const writtenTimeout = raw["timeout"] === undefined ? limits.defaultChainTimeoutMs : parseDuration(raw["timeout"])
  const chainTimeoutMs =
    top._tag === "Ok"
      ? top.value.timeout
      : writtenTimeout !== undefined && writtenTimeout <= limits.chainTimeoutMs
        ? writtenTimeout
        : limits.chainTimeoutMs

  const rawChain = Array.isArray(raw["chain"]) ? (raw["chain"] as ReadonlyArray<unknown>) : undefined
  const maxPayloadBytes = top._tag === "Ok" ? top.value.max_payload_size : limits.defaultPayloadBytes
  const steps = (rawChain ?? []).map((step, index) =>
    buildStep(step, index, {
      document,
      streamId: id ?? "",
      chainTimeoutMs,
      connections: options.connections,
      maxPayloadBytes
    })
  )
  const filter = buildCondition(top._tag === "Ok" ? top.value.filter : undefined, ["filter"])
  for (const problem of filter.issues) issue(problem.message, ...problem.at)
  for (const step of steps) issues.push(...step.issues)

  const max = execution === "parallel" ? limits.parallelChain : limits.sequentialChain
  if (rawChain !== undefined && rawChain.length > max) {
    issue(`${execution} chains allow at most ${max} modules, got ${rawChain.length}`, "chain")
  }
  if (execution === "sequential" && raw["max_parallel"] !== undefined) {
    issue("max_parallel applies only to parallel chains (execution: parallel)", "max_parallel")
  }
  const firstIndexOfId = new Map<string, number>()
  steps.forEach((step, index) => {
    if (step.id === undefined) return
    const first = firstIndexOfId.get(step.id)
    if (first === undefined) firstIndexOfId.set(step.id, index)
    else {
      const rawStep = rawChain?.[index]
      const explicit = isMapping(rawStep) && rawStep["id"] !== undefined
      issue(
        `duplicate module id '${step.id}' (also chain.${first}); ids must be unique in a chain`,
        "chain",
        index,
        ...(explicit ? ["id"] : [])
      )
    }
  })

  const schemaValue = top._tag === "Ok" ? top.value.payload_schema : undefined
  const payload =
    schemaValue === undefined
      ? undefined
      : buildPayloadContract(schemaValue, file, options.files ?? NO_FILES, display(["payload_schema"]))
  if (payload !== undefined) issues.push(...payload.issues)
  if (schemaValue !== undefined && top._tag === "Ok" && top.value.ingress?.allow_raw === true) {
    issue("payload_schema applies to JSON payloads; allow_raw would let other bodies past it", "ingress", "allow_raw")
  }

  const moduleIds = steps.every((step) => step.plan !== undefined) ? steps.map((step) => step.id ?? "") : undefined
  const rawTests = Array.isArray(raw["tests"]) ? (raw["tests"] as ReadonlyArray<unknown>) : []
  const tests = buildTests(rawTests, moduleIds, document)
  issues.push(...tests.issues)

  if (issues.length > 0 || top._tag === "Failed" || id === undefined) return { stream: undefined, id, issues }
  const value = top.value
  const modules = steps.map((step) => step.plan as ModulePlan)
  const plan: ChainPlan = {
    webhookId: value.id,
    execution: value.execution,
    continueOnError: value.continue_on_error,
    timeoutMs: value.timeout,
    maxParallel: value.execution === "parallel" ? Math.min(value.max_parallel ?? modules.length, modules.length) : 1,
    modules,
    ...(filter.condition === undefined ? {} : { filter: filter.condition })
  }
  const stream: StreamDefinition = {
    plan,
    file,
    ...(value.description === undefined ? {} : { description: value.description }),
    maxPayloadBytes: value.max_payload_size,
    redaction: value.redaction,
    ...(value.ingress === undefined ? {} : { ingress: value.ingress }),
    ...(payload?.contract === undefined ? {} : { payloadContract: payload.contract }),
    tests: tests.tests
  }
  return { stream: deepFreeze(stream), id, issues }
}
