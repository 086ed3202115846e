/**
 * npm run kafka:measure [-- runs] [--nodes n]: starts and stops throw-away brokers (or
 * clusters of n nodes) one after another and prints how long each took to answer
 * describeCluster (format and jar cache lookup included), the JVMs' resident memory once
 * ready, and how long the stop took. The first run after a boot or a fresh jar download is
 * the "cold" one.
 */
import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { nodes: { type: "string", default: "1" } }
})
const runs = Number(positionals[0] ?? "5")
const nodes = Number(values.nodes)

/** resident memory of a live process, MB (Linux procfs) */
const rssMb = (pid: number | undefined): number => {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]
    return kb === undefined ? Number.NaN : Number(kb) / 1024
  } catch {
    return Number.NaN
  }
}

const starts: Array<number> = []
for (let run = 1; run <= runs; run++) {
  const kafka = await startLocalKafka({ nodes, brokers: "" })
  const rss = kafka.nodes.map((n) => rssMb(n.pid()))
  const stopping = Date.now()
  await kafka.stop()
  const stopMs = Date.now() - stopping
  starts.push(kafka.startedInMs)
  const memory = rss.map((mb) => mb.toFixed(0)).join(" + ")
  const total = rss.reduce((a, b) => a + b, 0).toFixed(0)
  process.stdout.write(
    `run ${run}: ready in ${kafka.startedInMs} ms, RSS ${memory} MB${nodes > 1 ? ` = ${total} MB` : ""}, stopped in ${stopMs} ms\n`
  )
}
const sorted = [...starts].sort((a, b) => a - b)
process.stdout.write(
  `median start: ${sorted[Math.floor(sorted.length / 2)]} ms over ${runs} runs of ${nodes} node(s)\n`
)
