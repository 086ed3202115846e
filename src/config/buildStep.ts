/**
 * One chain step: resolve its module (aliases included), decode the step and the module's
 * `config`, check its connection, and build the frozen `ModulePlan`. Every problem is
 * collected; a step with problems yields no plan.
 */
import type { GuardPolicy, ModulePlan } from "../domain/ChainPlan.ts"
import { suggestionSuffix } from "../domain/didYouMean.ts"
import { formatValue } from "../domain/SchemaIssues.ts"
import { moduleAliases, moduleNames, moduleSchemas, resolveModuleName } from "../modules/registry.ts"
import { DEFAULT_COOLDOWN_MS, DEFAULT_FAILURE_THRESHOLD, DEFAULT_MAX_IN_FLIGHT } from "../schema/ConnectionCommon.ts"
import { formatDuration } from "../schema/Duration.ts"
import { buildStepExpressions } from "./buildExpressions.ts"
import type { ConfigIssue } from "./ConfigIssue.ts"
import { type DocumentContext, decodeSection } from "./decodeSection.ts"
import type { ConnectionsLoad } from "./loadConnections.ts"
import { limits, StepLoading } from "./StreamFile.ts"

export interface StepContext {
  readonly document: DocumentContext
  readonly streamId: string
  readonly chainTimeoutMs: number
  readonly connections: ConnectionsLoad
  /** the stream's max_payload_size: the largest body a transform may produce */
  readonly maxPayloadBytes: number
}

export interface BuiltStep {
  /** the step's id (explicit or default), even when the step has problems: ids are checked for clashes */
  readonly id: string | undefined
  readonly plan: ModulePlan | undefined
  readonly issues: ReadonlyArray<ConfigIssue>
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const knownModuleNames = [...moduleNames, ...Object.keys(moduleAliases)]

export const buildStep = (raw: unknown, index: number, context: StepContext): BuiltStep => {
  const at = ["chain", index]
  const path = (...rest: ReadonlyArray<string | number>) =>
    (context.document.displayPath ?? ((p) => p.join(".")))([...at, ...rest])
  const issue = (message: string, ...rest: ReadonlyArray<string | number>): ConfigIssue => ({
    file: context.document.file,
    path: path(...rest),
    message
  })
  if (!isMapping(raw)) {
    const example = typeof raw === "string" ? ` such as { module: ${raw} }` : ""
    return {
      id: undefined,
      plan: undefined,
      issues: [issue(`expected a step mapping${example}, got ${formatValue(raw)}`)]
    }
  }
  const issues: Array<ConfigIssue> = []
  const moduleName = typeof raw["module"] === "string" ? resolveModuleName(raw["module"]) : undefined
  if (typeof raw["module"] === "string" && moduleName === undefined) {
    const hint = suggestionSuffix(raw["module"].trim(), knownModuleNames) || ` (modules: ${moduleNames.join(", ")})`
    issues.push(issue(`unknown module '${raw["module"]}'${hint}`, "module"))
  }
  const step = decodeSection(StepLoading, raw, at, context.document)
  if (step._tag === "Failed") issues.push(...step.issues)
  const explicitId = typeof raw["id"] === "string" ? raw["id"] : undefined
  const id = explicitId ?? (moduleName === undefined ? undefined : `${moduleName}-${index}`)
  if (moduleName === undefined) return { id, plan: undefined, issues }

  const schemas = moduleSchemas[moduleName]
  const config = decodeSection(schemas.config, raw["config"] ?? {}, [...at, "config"], context.document)
  if (config._tag === "Failed") issues.push(...config.issues)

  const connectionName = typeof raw["connection"] === "string" ? raw["connection"] : undefined
  issues.push(...connectionProblems(moduleName, connectionName, context).map((p) => issue(p.message, ...p.at)))

  if (step._tag === "Ok") {
    const stepTimeout = step.value.timeout
    if (stepTimeout !== undefined && stepTimeout > context.chainTimeoutMs) {
      issues.push(issue(exceeds("timeout", stepTimeout, context.chainTimeoutMs), "timeout"))
    }
  }
  const ownTimeout = config._tag === "Ok" ? (config.value as { readonly timeout?: unknown }).timeout : undefined
  if (typeof ownTimeout === "number" && ownTimeout > context.chainTimeoutMs) {
    issues.push(issue(exceeds("config.timeout", ownTimeout, context.chainTimeoutMs), "config", "timeout"))
  }
  const expressions =
    step._tag === "Ok"
      ? buildStepExpressions(
          {
            module: moduleName,
            when: step.value.when,
            transform: step.value.transform,
            headers: step.value.headers,
            maxPayloadBytes: context.maxPayloadBytes
          },
          at
        )
      : undefined
  for (const problem of expressions?.issues ?? []) issues.push(issue(problem.message, ...problem.at.slice(at.length)))
  if (issues.length > 0 || step._tag === "Failed" || config._tag === "Failed" || id === undefined) {
    return { id, plan: undefined, issues }
  }

  const retry = step.value.retry
  const plan: ModulePlan = {
    id,
    module: moduleName,
    index,
    ...(connectionName === undefined ? {} : { connection: connectionName }),
    timeoutMs: step.value.timeout ?? Math.min(limits.defaultStepTimeoutMs, context.chainTimeoutMs),
    retry: {
      maxAttempts: retry.max_attempts,
      initialDelayMs: retry.initial_delay,
      maxDelayMs: retry.max_delay,
      multiplier: retry.multiplier,
      jitter: retry.jitter
    },
    config: config.value,
    guard: guardFor(connectionName, `${context.streamId}/${id}`, context.connections),
    ...(expressions?.when === undefined ? {} : { when: expressions.when }),
    ...(expressions?.shape === undefined ? {} : { shape: expressions.shape })
  }
  return { id, plan, issues }
}

const exceeds = (what: string, ms: number, chainMs: number): string =>
  `${what} ${formatDuration(ms)} exceeds the chain timeout ${formatDuration(chainMs)}`

const connectionProblems = (
  moduleName: keyof typeof moduleSchemas,
  name: string | undefined,
  context: StepContext
): ReadonlyArray<{ readonly message: string; readonly at: ReadonlyArray<string> }> => {
  const spec = moduleSchemas[moduleName].connection
  const fileName = context.connections.file ?? "the connections file"
  if (name === undefined) {
    return spec?.required === true
      ? [{ message: `module ${moduleName} needs a connection: name a ${spec.type} entry of ${fileName}`, at: [] }]
      : []
  }
  if (spec === undefined) return [{ message: `module ${moduleName} takes no connection`, at: ["connection"] }]
  if (!context.connections.declared.has(name)) {
    const hint = suggestionSuffix(name, context.connections.declared.keys())
    const where = context.connections.file === undefined ? "no connections file was loaded" : `it is not in ${fileName}`
    return [{ message: `connection '${name}' does not exist (${where})${hint}`, at: ["connection"] }]
  }
  const declaredType = context.connections.declared.get(name)
  if (declaredType !== undefined && declaredType !== spec.type) {
    return [
      {
        message: `connection '${name}' is of type ${declaredType}, module ${moduleName} needs ${spec.type}`,
        at: ["connection"]
      }
    ]
  }
  return []
}

const guardFor = (connection: string | undefined, fallbackKey: string, connections: ConnectionsLoad): GuardPolicy => {
  const entry = connection === undefined ? undefined : connections.connections.get(connection)
  return {
    key: connection ?? fallbackKey,
    maxInFlight: entry?.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
    maxQueued: entry?.max_queued ?? entry?.max_in_flight ?? DEFAULT_MAX_IN_FLIGHT,
    failureThreshold: entry?.circuit_breaker.failure_threshold ?? DEFAULT_FAILURE_THRESHOLD,
    cooldownMs: entry?.circuit_breaker.cooldown ?? DEFAULT_COOLDOWN_MS
  }
}
