/**
 * The engine as a service: runs bound chains and owns the guards (breakers and
 * per-connection limits) that all chains of the process share.
 */
import { Context, type Effect, Layer } from "effect"
import type { ChainPlan, ModulePlan } from "../domain/ChainPlan.ts"
import type { ChainOutcome, ChainRun } from "../domain/Outcome.ts"
import { makeSanitizer, type Sanitizer } from "../domain/sanitize.ts"
import type { Destination } from "../modules/Destination.ts"
import { type BoundChain, bindChain, type ChainInput, type DeferrableInput } from "./BoundChain.ts"
import { type GuardRegistry, makeGuardRegistry } from "./Guard.ts"
import { runChain } from "./runChain.ts"

export interface ChainEngineOptions {
  /** secret values (connection passwords, tokens) that must never appear in error text */
  readonly secrets?: ReadonlyArray<string>
}

export class ChainEngine extends Context.Service<
  ChainEngine,
  {
    /** `targetOf`: what each step's guard protects (a settings fingerprint): a changed target gets a fresh guard */
    readonly bind: (
      plan: ChainPlan,
      destinationFor: (step: ModulePlan) => Destination,
      targetOf?: (step: ModulePlan) => string | undefined
    ) => BoundChain
    /** a run that defers nothing (`congestion` is not `defer`): always a settled outcome */
    readonly run: (chain: BoundChain, input: ChainInput) => Effect.Effect<ChainOutcome>
    /** a run that may hand congested steps off (`congestion: "defer"`) */
    readonly runDeferrable: (chain: BoundChain, input: DeferrableInput) => Effect.Effect<ChainRun>
    readonly guards: GuardRegistry
    /** the current sanitizer (it changes when a reload brings new connection secrets) */
    readonly sanitize: () => Sanitizer
    /** more secret values to mask from now on (a reloaded config's connections); the old ones stay masked */
    readonly addSecrets: (secrets: ReadonlyArray<string>) => void
  }
>()("hookstream/engine/ChainEngine") {
  static readonly make = (options: ChainEngineOptions = {}): ChainEngine["Service"] => {
    const guards = makeGuardRegistry()
    const secrets = new Set(options.secrets)
    let sanitize = makeSanitizer([...secrets])
    return ChainEngine.of({
      bind: (plan, destinationFor, targetOf) => bindChain(plan, destinationFor, guards, targetOf),
      // without `defer` no step is ever deferred, so the run is settled
      run: (chain, input) => runChain(chain, input, sanitize) as Effect.Effect<ChainOutcome>,
      runDeferrable: (chain, input) => runChain(chain, input, sanitize),
      guards,
      sanitize: () => sanitize,
      addSecrets: (more) => {
        const before = secrets.size
        for (const s of more) secrets.add(s)
        if (secrets.size !== before) sanitize = makeSanitizer([...secrets])
      }
    })
  }

  static readonly layer = (options: ChainEngineOptions = {}): Layer.Layer<ChainEngine> =>
    Layer.sync(ChainEngine, () => ChainEngine.make(options))
}

export type { BoundChain, ChainInput, DeferrableInput } from "./BoundChain.ts"
