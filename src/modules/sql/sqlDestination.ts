/**
 * The send path both SQL destinations share: plan the step's config once, create its table
 * once per pool (when `create_table` is on), then run one parameterized upsert per delivery.
 * A driver supplies the SQL text, the abortable statement runner and its error mapping.
 *
 * Table creation is `CREATE TABLE IF NOT EXISTS`, serialized per pool and remembered per
 * statement, so concurrent first deliveries do not race each other; a race with another
 * process is absorbed (`alreadyExists`). When a created table later disappears, the
 * delivery fails retryable and the next attempt creates it again.
 */
import { Effect, Semaphore } from "effect"
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { abortable } from "../abortable.ts"
import type { Delivery, Destination, Receipt } from "../Destination.ts"
import { InvalidRow, type SqlPlan, type SqlStorageConfig, sqlPlanFor, valuesFor } from "./SqlPlan.ts"

export interface SqlStatements {
  readonly createTable: string
  readonly insert: string
}

export interface SqlDriver {
  readonly name: "postgresql" | "mysql"
  readonly statements: (plan: SqlPlan) => SqlStatements
  /** runs one statement; settles after its own cleanup when `signal` aborts; resolves to affected rows */
  readonly run: (text: string, values: ReadonlyArray<unknown>, signal: AbortSignal) => Promise<number>
  readonly error: (cause: unknown, table: string) => DestinationError
  readonly missingTable: (cause: unknown) => boolean
  /** a concurrent CREATE TABLE IF NOT EXISTS from another process won the race */
  readonly alreadyExists: (cause: unknown) => boolean
}

interface Prepared {
  readonly plan: SqlPlan
  readonly statements: SqlStatements
}

const detail = (plan: SqlPlan, affected: number): Receipt => ({
  detail:
    plan.upsertKey !== undefined
      ? `upserted into ${plan.tableLabel} on ${plan.upsertKey}`
      : affected === 0
        ? `already in ${plan.tableLabel} (same idempotency key)`
        : `inserted into ${plan.tableLabel}`
})

export const sqlDestination = <C extends SqlStorageConfig>(driver: SqlDriver): Effect.Effect<Destination<C>> =>
  Effect.gen(function* () {
    // configs are decoded once and frozen, so their identity keys the plan
    const prepared = new WeakMap<object, Prepared>()
    const created = new Set<string>()
    const ddl = yield* Semaphore.make(1)

    const prepare = (config: C): Prepared => {
      const known = prepared.get(config)
      if (known !== undefined) return known
      const plan = sqlPlanFor(config)
      const entry = { plan, statements: driver.statements(plan) }
      prepared.set(config, entry)
      return entry
    }

    const ensureTable = ({ plan, statements }: Prepared): Effect.Effect<void, DestinationError> =>
      !plan.createTable || created.has(statements.createTable)
        ? Effect.void
        : ddl.withPermit(
            Effect.suspend(() =>
              created.has(statements.createTable)
                ? Effect.void
                : abortable(
                    (signal) =>
                      driver.run(statements.createTable, [], signal).catch((cause: unknown) => {
                        if (!driver.alreadyExists(cause)) throw cause
                        return 0
                      }),
                    (cause) => driver.error(cause, plan.tableLabel)
                  ).pipe(Effect.tap(() => Effect.sync(() => created.add(statements.createTable))))
            )
          )

    const insertError = ({ plan, statements }: Prepared, cause: unknown): DestinationError => {
      if (plan.createTable && driver.missingTable(cause)) {
        created.delete(statements.createTable)
        return destinationError(
          "unavailable",
          `${driver.name}: table ${plan.tableLabel} disappeared; the next attempt creates it again`
        )
      }
      return driver.error(cause, plan.tableLabel)
    }

    const send = (delivery: Delivery<C>): Effect.Effect<Receipt, DestinationError> =>
      Effect.suspend(() => {
        const entry = prepare(delivery.config)
        const values = valuesFor(entry.plan, delivery)
        if (values instanceof InvalidRow) {
          return Effect.fail(
            destinationError("invalid_payload", `${driver.name}: ${values.message} (table ${entry.plan.tableLabel})`)
          )
        }
        return ensureTable(entry).pipe(
          Effect.andThen(
            abortable(
              (signal) => driver.run(entry.statements.insert, values, signal),
              (cause) => insertError(entry, cause)
            )
          ),
          Effect.map((affected) => detail(entry.plan, affected))
        )
      })

    return { send }
  })
