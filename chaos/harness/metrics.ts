/**
 * Prometheus text from a process's ops port, as `series → value` (the series written as in
 * the exposition: `name{label="v",…}`), plus helpers to read one metric or sum a family.
 */
import { get as httpGet } from "node:http"

/**
 * One connection per scrape, closed after it (`Connection: close`): a kept-alive scraper
 * connection would itself be one of the process's handles, there or not depending on timing.
 */
const getText = (url: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = httpGet(url, { agent: false, headers: { connection: "close" }, timeout: 5_000 }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(Buffer.concat(chunks).toString("utf8"))
          : reject(new Error(`${url} answered ${res.statusCode}`))
      )
      res.on("error", reject)
    })
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer within 5 s`)))
    req.on("error", reject)
  })

export const scrapeMetrics = async (opsUrl: string): Promise<ReadonlyMap<string, number>> => {
  const text = await getText(`${opsUrl}/metrics`)
  const out = new Map<string, number>()
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue
    const space = line.lastIndexOf(" ")
    if (space < 0) continue
    out.set(line.slice(0, space), Number(line.slice(space + 1)))
  }
  return out
}

/** The value of one series (exact name with labels), or undefined. */
export const metricValue = (metrics: ReadonlyMap<string, number>, series: string): number | undefined =>
  metrics.get(series)

/** Sum over every series of a metric family whose labels contain all of `labels` (`k="v"` pieces). */
export const metricSum = (
  metrics: ReadonlyMap<string, number>,
  name: string,
  labels: ReadonlyArray<string> = []
): number => {
  let sum = 0
  for (const [series, value] of metrics) {
    if (series !== name && !series.startsWith(`${name}{`)) continue
    if (labels.every((l) => series.includes(l))) sum += value
  }
  return sum
}

/** Resident set size in MB, from prom-client's process metrics. */
export const rssMb = (metrics: ReadonlyMap<string, number>): number =>
  (metrics.get("process_resident_memory_bytes") ?? Number.NaN) / 1_048_576
