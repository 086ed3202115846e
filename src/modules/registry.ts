/**
 * Every list about destinations, derived from their one declaration (destinations.ts): the
 * module names and aliases a step may use, the connection types, the schemas stream loading
 * and the JSON Schemas use, and the runtime registry the processor builds clients from.
 * Nothing here imports a driver; `loadDestination` imports a runtime when asked.
 */

import type { DestinationSpec, ModuleSchemas } from "./Destination.ts"
import type { DestinationDeclaration } from "./defineDestination.ts"
import { destinations } from "./destinations.ts"

type Declared = (typeof destinations)[number]

/** The closed set of destination modules a chain step can name. */
export type ModuleName = Declared["name"]

/** Connection types named in the connections file (`type:` field); each belongs to one module. */
export type ConnectionType = NonNullable<Declared["connection"]>["type"]

export const moduleNames: ReadonlyArray<ModuleName> = destinations.map((declared) => declared.name)

/** Other names a step may use (the original gateway's), so its configs load unchanged. */
export const moduleAliases: Readonly<Record<string, ModuleName>> = Object.fromEntries(
  destinations.flatMap((declared) => declared.aliases.map((alias) => [alias, declared.name]))
)

export const isModuleName = (name: string): name is ModuleName => (moduleNames as ReadonlyArray<string>).includes(name)

/** Resolves a canonical name or an alias; `undefined` when the name is not a module. */
export const resolveModuleName = (name: string): ModuleName | undefined => {
  const trimmed = name.trim()
  if (isModuleName(trimmed)) return trimmed
  // own keys only: `constructor` or `__proto__` must not resolve through Object.prototype
  return Object.hasOwn(moduleAliases, trimmed) ? moduleAliases[trimmed] : undefined
}

/** Each module's schemas by name: what stream loading and `hookstream validate` use. */
export const moduleSchemas: Readonly<Record<ModuleName, ModuleSchemas>> = Object.fromEntries(
  destinations.map((declared): [ModuleName, ModuleSchemas] => [declared.name, declared as ModuleSchemas])
) as Record<ModuleName, ModuleSchemas>

export const connectionTypes: ReadonlyArray<ConnectionType> = destinations.flatMap((declared) =>
  "connection" in declared ? [declared.connection.type] : []
)

/** The connection spec for a connection type (each type belongs to exactly one module). */
export const connectionSpecFor = (type: ConnectionType): NonNullable<ModuleSchemas["connection"]> => {
  for (const declared of destinations) {
    if ("connection" in declared && declared.connection.type === type) return declared.connection
  }
  throw new Error(`no module declares connection type ${type}`)
}

/** The declared config and connection types of a module, for callers that name it. */
export type DestinationSpecOf<N extends ModuleName> =
  Extract<Declared, { readonly name: N }> extends DestinationDeclaration<N, infer C, infer K, string>
    ? DestinationSpec<C, K>
    : never

const loaded = new Map<string, Promise<DestinationSpec>>()

/**
 * The runtime registry: the module's declaration with its runtime (`make`, `forStream`),
 * importing the runtime file, and its driver, on first use only. A failed import (a driver
 * missing from the install) rejects, and is tried again on the next call.
 */
export const loadDestination = <N extends ModuleName>(name: N): Promise<DestinationSpecOf<N>> => {
  let spec = loaded.get(name)
  if (spec === undefined) {
    const declared: DestinationDeclaration = destinations.find((candidate) => candidate.name === name) as Declared
    spec = declared.load().then(
      (runtime): DestinationSpec => ({
        name: declared.name,
        description: declared.description,
        config: declared.config,
        ...(declared.connection === undefined ? {} : { connection: declared.connection }),
        make: runtime.make,
        ...(runtime.forStream === undefined ? {} : { forStream: runtime.forStream })
      })
    )
    spec.catch(() => loaded.delete(name))
    loaded.set(name, spec)
  }
  return spec as Promise<DestinationSpecOf<N>>
}
