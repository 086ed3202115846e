/**
 * A scenario's own corner: a folder with its stream files and connections file (written as
 * JSON, which the YAML loader reads as is), unique topics (input, results, DLQ) and a
 * consumer group. `close()` deletes the topics; the folder stays (it holds the processors'
 * logs) until the run's work directory is removed.
 */
import { mkdir, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Effect, Schedule } from "effect"
import type { Kafka } from "kafkajs"
import { ensureTopics } from "../../src/kafka/topics.ts"
import type { ChaosContext } from "./types.ts"

export interface Topics {
  readonly input: string
  readonly results: string
  readonly dlq: string
}

export interface Workspace {
  readonly name: string
  readonly dir: string
  readonly streamsDir: string
  readonly connectionsFile: string
  readonly topics: Topics
  readonly group: string
  /** `<runId>_<name>` with only [a-z0-9_]: for tables, NATS subjects and streams */
  readonly id: string
  readonly close: () => Promise<void>
}

export interface WorkspaceSpec {
  /** stream id → the stream file's content */
  readonly streams: Readonly<Record<string, unknown>>
  readonly connections: Readonly<Record<string, unknown>>
  readonly partitions: number
  /** the broker to create topics on; default the run's */
  readonly kafka?: Kafka
}

export const deleteTopics = async (kafka: Kafka, topics: ReadonlyArray<string>): Promise<void> => {
  const admin = kafka.admin()
  try {
    await admin.connect()
    await admin.deleteTopics({ topics: [...topics], timeout: 30_000 })
  } catch {
    // best effort: a throw-away broker's data goes with it anyway
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

export const makeWorkspace = async (ctx: ChaosContext, name: string, spec: WorkspaceSpec): Promise<Workspace> => {
  const kafka = spec.kafka ?? ctx.kafka
  const dir = join(ctx.workDir, name)
  const streamsDir = join(dir, "streams")
  await mkdir(streamsDir, { recursive: true })
  for (const [id, stream] of Object.entries(spec.streams)) {
    await writeFile(join(streamsDir, `${id}.json`), `${JSON.stringify(stream, null, 2)}\n`)
  }
  const connectionsFile = join(dir, "connections.yaml")
  await writeFile(connectionsFile, `${JSON.stringify(spec.connections, null, 2)}\n`)
  const base = `${ctx.runId}.${name}`
  const topics = { input: `${base}.in`, results: `${base}.results`, dlq: `${base}.dlq` }
  await Effect.runPromise(
    ensureTopics(kafka, [
      { topic: topics.input, partitions: spec.partitions },
      { topic: topics.results, partitions: spec.partitions },
      { topic: topics.dlq, partitions: spec.partitions }
    ]).pipe(
      // on a cluster a node that just came back may not know a new topic yet when KafkaJS asks it
      // for the leaders (UNKNOWN_TOPIC_OR_PARTITION): ask again; what exists is left as it is
      Effect.retry({ times: 5, schedule: Schedule.spaced("2 seconds") })
    )
  )
  return {
    name,
    dir,
    streamsDir,
    connectionsFile,
    topics,
    group: `${base}.group`,
    id: `${ctx.runId}_${name}`.toLowerCase().replace(/[^a-z0-9_]/g, "_"),
    // the processor made the deferred topic (`<input>.deferred`) itself
    close: () => deleteTopics(kafka, [topics.input, topics.results, topics.dlq, `${topics.input}.deferred`])
  }
}
