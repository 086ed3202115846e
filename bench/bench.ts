/**
 * The comparative benchmark: `npm run bench` (full, tens of minutes) or
 * `npm run bench -- --quick` (every scenario small, < 2 minutes; what `npm test` runs).
 * Writes reports/bench.json, bench.md and bench.svg. Every target is a ratio between numbers
 * of the same run (see bench/harness/benchReport.ts).
 *
 *   --quick                 small scenarios
 *   --only a,b              only these scenarios (names as in the report)
 *   --out DIR               where the report goes (default reports/)
 *   --cpu-prof              CPU profiles of every consumer process into DIR/profiles
 *   --verbose               echo the consumer processes' output
 *   --events N              N events in every pre-filled scenario (for profiling one of them)
 *   --node-flags "…"        extra Node flags for the consumer processes (--trace-gc, --heapsnapshot-signal…)
 *   KAFKA_BROKERS=host:port use that cluster instead of starting a bench-profile broker
 *
 * Exit code 0 when the harness ran every scenario (met or missed targets alike), 1 otherwise.
 */
import { join, resolve } from "node:path"
import { parseArgs } from "node:util"
import { SCENARIOS, type ScenarioName } from "./harness/benchSettings.ts"
import { runBench } from "./harness/runBench.ts"
import { writeReport } from "./harness/writeReport.ts"

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string", default: join(import.meta.dirname, "..", "reports") },
    "cpu-prof": { type: "boolean", default: false },
    verbose: { type: "boolean", default: false },
    events: { type: "string" },
    "node-flags": { type: "string" }
  }
})

const only = values.only?.split(",").map((s) => s.trim())
const unknown = only?.filter((name) => !(SCENARIOS as ReadonlyArray<string>).includes(name)) ?? []
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.join(", ")}\n`)
  process.exit(2)
}
const out = resolve(values.out)
const report = await runBench({
  quick: values.quick,
  ...(only === undefined ? {} : { only: only as Array<ScenarioName> }),
  verbose: values.verbose,
  ...(values.events === undefined ? {} : { events: Number(values.events) }),
  childExecArgv: [
    ...(values["cpu-prof"] ? ["--cpu-prof", `--cpu-prof-dir=${join(out, "profiles")}`] : []),
    ...(values["node-flags"]?.split(" ").filter((f) => f !== "") ?? [])
  ],
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`
})
const files = await writeReport(report, out)
process.stderr.write(`\n${files.join("\n")}\n`)
for (const [name, r] of Object.entries({ ...report.ratios, ...report.limits })) {
  process.stderr.write(`${name}: ${r.value} (${r.target}) ${r.met ? "met" : "MISSED"} — ${r.detail}\n`)
}
process.exit(Object.keys(report.errors).length === 0 ? 0 : 1)
