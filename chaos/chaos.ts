/**
 * The reliability suite: `npm run chaos` (every scenario at full size, tens of minutes) or
 * `npm run chaos -- --quick` (the CI subset: same checks, small counts). Each scenario runs
 * the real `hookstream run` process against a real broker and the machine's real sinks and
 * verifies from the results/DLQ topics and the sinks by event id. Writes reports/chaos.json
 * and prints the table.
 *
 *   --quick                 small counts, short outages
 *   --only a,b              only these scenarios
 *   --out DIR               where chaos.json goes (default reports/)
 *   --verbose               echo the processes' output
 *   --keep                  keep the work directory (stream files, processor logs)
 *   KAFKA_BROKERS=host:port use that cluster instead of starting a broker (broker_restart
 *                           always starts one of its own, the cluster scenarios a 3-node cluster)
 *   CHAOS_LOG_LEVEL=debug   the cluster scenarios' processors log at this level (post-mortems)
 *   CHAOS_KEEP_SEGMENTS=1   with --keep: the cluster scenarios' topic log segments, per node, in
 *                           the work directory (read with DumpLogSegments, see harness/cluster.ts)
 *
 * Exit code 0 when every scenario that ran passed, 1 otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { reportTable, writeChaosReport } from "./harness/report.ts"
import { runChaos } from "./harness/runChaos.ts"
import { SCENARIOS, type ScenarioName } from "./harness/types.ts"

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: join(import.meta.dirname, "..", "reports") },
    verbose: { type: "boolean", default: false },
    keep: { type: "boolean", default: false }
  }
})

const only = values.only?.split(",").map((s) => s.trim())
const unknown = only?.filter((name) => !(SCENARIOS as ReadonlyArray<string>).includes(name)) ?? []
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.join(", ")}\n`)
  process.exit(2)
}

const workDir = await mkdtemp(join(tmpdir(), "hookstream-chaos-"))
const report = await runChaos({
  quick: values.quick,
  ...(only === undefined ? {} : { only: only as Array<ScenarioName> }),
  verbose: values.verbose,
  workDir,
  command: `npm run chaos${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`
})
const file = await writeChaosReport(report, resolve(values.out))
process.stdout.write(`\n${reportTable(report)}\n\n${file}\n`)
if (values.keep) process.stderr.write(`work directory kept: ${workDir}\n`)
else await rm(workDir, { recursive: true, force: true })
process.exit(report.passed ? 0 : 1)
