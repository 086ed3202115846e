/**
 * npm run kafka:measure [-- runs]: starts and stops throw-away brokers one after another and
 * prints how long each took to answer describeCluster (format and jar cache lookup included)
 * and to stop. The first run after a boot or a fresh jar download is the "cold" one.
 */
import { startLocalKafka } from "../src/kafka/local/startLocalKafka.ts"

const runs = Number(process.argv[2] ?? "5")
const starts: Array<number> = []
for (let run = 1; run <= runs; run++) {
  const kafka = await startLocalKafka()
  const stopping = Date.now()
  await kafka.stop()
  const stopMs = Date.now() - stopping
  starts.push(kafka.startedInMs)
  process.stdout.write(`run ${run}: ready in ${kafka.startedInMs} ms, stopped in ${stopMs} ms\n`)
}
const sorted = [...starts].sort((a, b) => a - b)
process.stdout.write(`median start: ${sorted[Math.floor(sorted.length / 2)]} ms over ${runs} runs\n`)
