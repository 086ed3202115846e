/**
 * Before `hookstream import` writes a connections file, literal secrets are swapped for
 * `${NAME_FIELD}` references: a conversion should not spread passwords into new files.
 * Values that already are `${…}` references are kept.
 */
const SECRET_FIELDS = new Set(["password", "connection_string", "token", "url", "signing_secret"])

export interface Externalized {
  readonly document: Record<string, unknown>
  /** the environment variables the written file now expects */
  readonly variables: ReadonlyArray<string>
}

const variableName = (connection: string, field: string): string =>
  `${connection}_${field}`.toUpperCase().replace(/[^A-Z0-9_]/g, "_")

export const externalizeSecrets = (document: Record<string, unknown>): Externalized => {
  const variables: Array<string> = []
  const out: Record<string, unknown> = {}
  for (const [name, entry] of Object.entries(document)) {
    if (typeof entry !== "object" || entry === null) {
      out[name] = entry
      continue
    }
    const copy: Record<string, unknown> = {}
    for (const [field, value] of Object.entries(entry)) {
      if (SECRET_FIELDS.has(field) && typeof value === "string" && !/^\$\{[^}]+\}$/.test(value)) {
        const variable = variableName(name, field)
        variables.push(variable)
        copy[field] = `\${${variable}}`
      } else copy[field] = value
    }
    out[name] = copy
  }
  return { document: out, variables }
}
