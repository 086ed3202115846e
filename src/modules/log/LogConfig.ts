/**
 * The log destination's config schema, apart from its runtime (log.ts) so that
 * loading and validating streams imports no driver.
 */
import { Schema } from "effect"
import { text, withDefault } from "../../schema/Checks.ts"

export const LogConfig = Schema.Struct({
  level: withDefault(Schema.Literals(["debug", "info", "warn", "error"]), "info"),
  include_payload: withDefault(Schema.Boolean, false),
  include_headers: withDefault(Schema.Boolean, false),
  /** a fixed message for the line (default "webhook delivered") */
  message: Schema.optionalKey(text(200))
})
export type LogConfig = typeof LogConfig.Type
