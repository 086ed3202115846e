/**
 * The file destination's config schema, apart from its runtime (file.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { rule, withDefault } from "../../schema/Checks.ts"

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/

/** Relative, `/`-separated, plain segments only: nothing can climb out of the base directory. */
export const RelativeDirectory = Schema.String.check(
  rule<string>(
    (path) => {
      if (path === ".") return undefined
      const segments = path.split("/")
      const bad = segments.find((segment) => !SEGMENT.test(segment) || segment === "..")
      return path.length <= 1024 && bad === undefined
        ? undefined
        : `expected a relative directory of plain names separated by '/' (no '..', no leading '/'), got '${path}'`
    },
    { jsonSchema: { pattern: "^(\\.|[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*)$" } }
  )
)

export const FileConfig = Schema.Struct({
  directory: withDefault(
    RelativeDirectory.annotate({ description: "Directory under the file base directory (HOOKSTREAM_FILE_DIR)" }),
    "."
  ),
  include_headers: withDefault(Schema.Boolean, false),
  pretty: withDefault(Schema.Boolean, false)
})
export type FileConfig = typeof FileConfig.Type
