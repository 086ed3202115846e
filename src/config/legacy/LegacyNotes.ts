/** What converting one legacy entry reports: errors stop it, warnings only inform. */
export interface LegacyNote {
  /** path in the legacy file, e.g. `orders.chain.1.retry.max_delay` */
  readonly path: string
  readonly message: string
}

export interface LegacyNotes {
  readonly errors: Array<LegacyNote>
  readonly warnings: Array<LegacyNote>
}

export const makeNotes = (): LegacyNotes => ({ errors: [], warnings: [] })

export const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** Python-flavoured type names, as the original validator's messages used them. */
export const typeName = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "list"
      : typeof value === "object"
        ? "dictionary"
        : typeof value === "boolean"
          ? "bool"
          : typeof value === "number"
            ? Number.isInteger(value)
              ? "int"
              : "float"
            : typeof value === "string"
              ? "str"
              : typeof value
