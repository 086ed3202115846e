import { Schema } from "effect"

export const LocalKafkaErrorReason = Schema.Literals([
  /** java, mvn (or setpriv) is not installed */
  "tool_missing",
  /** Maven could not resolve the broker jars */
  "jar_resolution_failed",
  /** kafka.tools.StorageTool format failed */
  "format_failed",
  /** the broker JVM exited before it answered */
  "broker_exited",
  /** the broker (or the KAFKA_BROKERS cluster) did not answer describeCluster in time */
  "not_ready",
  /** reading or writing files under .kafka/ failed */
  "io"
])
export type LocalKafkaErrorReason = typeof LocalKafkaErrorReason.Type

/** Everything that can go wrong starting a local broker; the message carries the broker log tail. */
export class LocalKafkaError extends Schema.TaggedError<LocalKafkaError>()("LocalKafkaError", {
  reason: LocalKafkaErrorReason,
  message: Schema.String,
  logFile: Schema.optionalKey(Schema.String)
}) {}
