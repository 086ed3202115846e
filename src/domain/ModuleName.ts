/**
 * The closed set of destination modules a chain step can name, plus the original
 * (Python) gateway's names accepted as aliases so its configs load unchanged.
 */
import { Schema } from "effect"

export const moduleNames = [
  "log",
  "file",
  "http",
  "kafka",
  "postgresql",
  "mysql",
  "redis",
  "rabbitmq",
  "mqtt",
  "nats"
] as const

export const ModuleName = Schema.Literals(moduleNames)
export type ModuleName = typeof ModuleName.Type

export const moduleAliases: Readonly<Record<string, ModuleName>> = {
  http_webhook: "http",
  save_to_disk: "file",
  postgres: "postgresql",
  mariadb: "mysql",
  redis_publish: "redis"
}

/** Resolves a canonical name or an alias; `undefined` when the name is not a module. */
export const resolveModuleName = (name: string): ModuleName | undefined => {
  const trimmed = name.trim()
  if ((moduleNames as ReadonlyArray<string>).includes(trimmed)) return trimmed as ModuleName
  return moduleAliases[trimmed]
}
