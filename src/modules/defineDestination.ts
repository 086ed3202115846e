/**
 * The one declaration of a destination: its name, the names the original gateway gave it, its
 * schemas, and how to load its runtime. Everything else (module names, connection types, the
 * schemas stream loading uses, the JSON Schemas in schemas/, the runtime registry) is derived
 * from the list in destinations.ts (see registry.ts). Driver-free: `load` imports the runtime
 * file, and with it the driver, only when a stream using the destination is bound.
 */
import type { Schema } from "effect"
import type { DestinationRuntime, ModuleSchemas } from "./Destination.ts"

export interface DestinationDeclaration<N extends string = string, C = unknown, K = unknown, T extends string = string>
  extends ModuleSchemas<C, K> {
  readonly name: N
  /** other names a step may use for it (the original gateway's), resolved when streams load */
  readonly aliases: ReadonlyArray<string>
  readonly connection?: {
    /** its `type:` in the connections file, owned by this destination alone */
    readonly type: T
    readonly schema: Schema.Decoder<K>
    readonly required: boolean
  }
  /** imports the runtime file (`src/modules/<name>.ts`); called once, when a stream is bound */
  readonly load: () => Promise<DestinationRuntime<C, K>>
}

/** Keeps the literal name and connection type, so the lists derived from the declarations are closed unions. */
export const defineDestination = <const N extends string, C, K = never, const T extends string = never>(
  declaration: DestinationDeclaration<N, C, K, T>
): DestinationDeclaration<N, C, K, T> => declaration
