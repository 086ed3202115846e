/**
 * The operator console end to end, in a real headless Chromium: a real `hookstream run`
 * process (its console on the ops port), the run's broker, and an HTTP sink the test turns
 * from failing to healthy. The page loads, its charts and tail fill while events flow, the
 * streams are drawn, the failing chain's dead letters are listed and one is shown redacted,
 * and a filtered replay started from the page (dry run, confirm, progress) makes their
 * results succeed. Screenshots of every view go to reports/console-*.png.
 *
 * Needs Chromium: without one it is skipped, and says so (support/browser.ts); with CI set it
 * is mandatory.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs"
import { createServer, request, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Consumer, Producer } from "kafkajs"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { browserSkipReason, launchChromium } from "../../support/browser.ts"
import { kafkaBrokers, uniqueName } from "../../support/kafka.ts"
import { waitFor } from "../../support/waitFor.ts"
import { freshTopics, type Topics, testKafkaClient } from "../processor/harness.ts"

const root = join(import.meta.dirname, "..", "..", "..")
const reports = join(root, "reports")
/** sent in payloads, headers and the connection's headers: must never reach the page */
const SECRET = "sk_live_console_e2e_7f3a"

const kafka = testKafkaClient()
let topics: Topics
let sink: Server
let failing = true
let child: ChildProcess | undefined
let output = ""
let consoleUrl = ""
let streamsDir = ""
let browser: Browser | undefined
let page: Page
let producer: Producer
let resultsConsumer: Consumer
/** event id → result records seen (status, replay count) */
const results = new Map<string, Array<{ status: string; replayCount: number }>>()

const streamFiles = (dir: string, port: number) => {
  writeFileSync(
    join(dir, "connections.yaml"),
    [
      "payments_api:",
      "  type: http",
      "  headers:",
      `    x-api-key: ${SECRET}`,
      "  circuit_breaker: { failure_threshold: 3, cooldown: 1s }"
    ].join("\n")
  )
  const http = (path: string) =>
    [
      "    config:",
      `      url: http://127.0.0.1:${port}${path}`,
      "      timeout: 2s",
      "      allowed_hosts: [127.0.0.1]"
    ].join("\n")
  writeFileSync(
    join(dir, "shop.yaml"),
    [
      "id: shop",
      "description: Shop orders to the CRM, after an audit line",
      "execution: sequential",
      "timeout: 10s",
      "chain:",
      "  - module: log",
      "    id: audit",
      "    config: { level: debug, message: shop order }",
      "  - module: http",
      "    id: crm",
      http("/shop"),
      "    retry: { max_attempts: 2, initial_delay: 20ms, max_delay: 100ms, multiplier: 2 }"
    ].join("\n")
  )
  writeFileSync(
    join(dir, "billing.yaml"),
    [
      "id: billing",
      "description: Invoices to the ledger and the payment provider",
      "execution: parallel",
      "continue_on_error: true",
      "timeout: 10s",
      "max_parallel: 2",
      "chain:",
      "  - module: log",
      "    id: ledger",
      "    config: { level: debug, message: invoice }",
      "  - module: http",
      "    id: charge",
      "    connection: payments_api",
      http("/billing"),
      "    retry: { max_attempts: 1 }"
    ].join("\n")
  )
}

const event = (webhookId: string, n: number) => ({
  key: `c-${n % 7}`,
  value: JSON.stringify({
    webhook_id: webhookId,
    payload: { order: n, card: { token: SECRET }, author: "ann" },
    headers: { authorization: `Bearer ${SECRET}`, "x-shop-id": "s-1" }
  })
})

/** ~40 events/s for `seconds`, a quarter of them billing (failing while the sink fails) */
const produceFor = async (seconds: number) => {
  let n = 0
  for (let tick = 0; tick < seconds * 10; tick++) {
    await producer.send({
      topic: topics.input,
      messages: [0, 1, 2, 3].map(() => {
        n++
        return event(n % 4 === 0 ? "billing" : "shop", n)
      })
    })
    await new Promise((r) => setTimeout(r, 100))
  }
}

const shot = (name: string, fullPage = true) =>
  page.screenshot({ path: join(reports, `console-${name}.png`), fullPage })

const skipped = browserSkipReason()
if (skipped !== undefined) process.stderr.write(`\n*** operator console in a browser: ${skipped} ***\n\n`)

describe.skipIf(skipped !== undefined)(`operator console${skipped === undefined ? "" : ` (${skipped})`}`, () => {
  beforeAll(async () => {
    // first: in CI a missing browser must fail before anything else is started
    browser = await launchChromium()
    mkdirSync(reports, { recursive: true })
    topics = await freshTopics(kafka)
    sink = createServer((request, response) => {
      request.resume()
      request.on("end", () => {
        response.statusCode = request.url === "/billing" && failing ? 503 : 200
        response.end("{}")
      })
    })
    await new Promise<void>((resolve) => sink.listen(0, "127.0.0.1", resolve))
    const dir = mkdtempSync(join(tmpdir(), "hs-console-"))
    streamsDir = dir
    streamFiles(dir, (sink.address() as AddressInfo).port)

    child = spawn(
      process.execPath,
      [
        join(root, "bin", "hookstream.js"),
        "run",
        ...["--streams", dir, "--ops-host", "127.0.0.1", "--ops-port", "0"],
        ...["--input", topics.input, "--results", topics.results, "--dlq", topics.dlq, "--group", topics.group],
        ...["--session-timeout", "6s", "--instance-id", uniqueName("console")]
      ],
      { cwd: root, env: { ...process.env, KAFKA_BROKERS: kafkaBrokers(), LOG_LEVEL: "info" }, stdio: "pipe" }
    )
    child.stdout?.on("data", (d) => {
      output += d.toString()
    })
    child.stderr?.on("data", (d) => {
      output += d.toString()
    })
    await waitFor(() => /"url":"(http:[^"]+\/console\/)"/.test(output) && output.includes("partitions assigned"), {
      timeoutMs: 60_000,
      description: () => `hookstream run with its console up; output so far:\n${output}`
    })
    consoleUrl = /"url":"(http:[^"]+\/console\/)"/.exec(output)?.[1] ?? ""

    producer = kafka.producer()
    await producer.connect()
    resultsConsumer = kafka.consumer({ groupId: uniqueName("console-results"), maxWaitTimeInMs: 250 })
    await resultsConsumer.connect()
    await resultsConsumer.subscribe({ topic: topics.results, fromBeginning: true })
    await resultsConsumer.run({
      eachMessage: async ({ message }) => {
        const r = JSON.parse(message.value?.toString("utf8") ?? "{}") as {
          event_id: string
          status: string
          replay_count: number
        }
        const list = results.get(r.event_id) ?? []
        list.push({ status: r.status, replayCount: r.replay_count })
        results.set(r.event_id, list)
      }
    })

    page = await browser.newPage({ viewport: { width: 1440, height: 960 } })
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await resultsConsumer?.disconnect()
    await producer?.disconnect()
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve))
      child.kill("SIGTERM")
      await exited
    }
    await new Promise((resolve) => sink?.close(resolve))
  }, 60_000)

  it("counts each step's runs from the process start: a page opened afterwards shows them", async () => {
    await producer.send({ topic: topics.input, messages: [1, 2, 3, 4, 5].map((n) => event("shop", 100 + n)) })
    await waitFor(() => results.size >= 5, { timeoutMs: 30_000, description: "the results of 5 shop events" })
    const late = await (browser as Browser).newPage({ viewport: { width: 1440, height: 960 } })
    try {
      await late.goto(`${consoleUrl}#streams`)
      const crm = late.locator(".stream[data-stream=shop] .step[data-step=crm]")
      await crm
        .locator(".runs")
        .filter({ hasText: /\b5 runs\b/ })
        .waitFor({ timeout: 15_000 })
      expect(await crm.locator(".rate").textContent()).toBe("100% ok")
    } finally {
      await late.close()
    }
  })

  it("loads, and its charts and live tail fill while events flow", async () => {
    await page.goto(consoleUrl)
    await page.locator("nav a[data-view=live].active").waitFor()
    await produceFor(8)
    // page-side expressions are strings: the test's TypeScript has no DOM types
    await page.waitForFunction(
      `Number(document.querySelector("#chart-rate")?.dataset.points) >= 4 &&
       Number(document.querySelector("#chart-lag")?.dataset.points) >= 4 &&
       document.querySelectorAll("#tail .pill.s-succeeded").length > 0 &&
       document.querySelectorAll("#tail .pill.s-partial").length > 0 &&
       document.querySelectorAll("#destinations tbody td.mono").length > 0`,
      undefined,
      { timeout: 30_000 }
    )
    const kpis = await page.locator("#kpis").textContent()
    expect(kpis).toMatch(/events\s*[1-9]/i)
    expect(kpis).toMatch(/deferred/i)
    // the engine's destinations, each with its slots, queue, deferred work and circuit
    const destinations = await page.locator("#destinations tbody").textContent()
    expect(destinations).toContain("http")
    expect(destinations).toMatch(/closed|open/)
    expect(await page.locator("#conn-text").textContent()).toBe("live")
    await shot("live")
  })

  it("draws each stream's chain with its policies and live per-step numbers", async () => {
    await page.click("nav a[data-view=streams]")
    const billing = page.locator(".stream[data-stream=billing]")
    await billing.locator(".parallel .step[data-step=charge]").waitFor()
    await page.waitForFunction(`document.querySelector(".stream[data-stream=shop]")?.textContent.includes("% ok")`)
    expect(await billing.textContent()).toContain("breaker opens after 3 failures")
    expect(await page.locator(".stream[data-stream=shop] .arrow").count()).toBeGreaterThanOrEqual(3)
    await shot("streams")
  })

  it("keeps every column of the dead-letter list in view at 1400 px, however long an error", async () => {
    // a webhook id nobody serves, long enough to make its error message wider than the page
    await producer.send({ topic: topics.input, messages: [event(`unknown-${"x".repeat(180)}`, 1)] })
    const narrow = await (browser as Browser).newPage({ viewport: { width: 1400, height: 960 } })
    try {
      await narrow.goto(`${consoleUrl}#dlq`)
      await narrow.locator("#dlq-list tbody tr[data-at] td.err").filter({ hasText: "unknown-xxxx" }).first().waitFor({
        timeout: 30_000
      })
      const at = await narrow.locator("#dlq-list thead th:last-child").boundingBox()
      const view = await narrow.locator(".scroll:has(#dlq-list)").boundingBox()
      expect(at, "the AT column header").not.toBeNull()
      // the last column ends inside the list's box: nothing to scroll sideways for
      expect((at?.x ?? 0) + (at?.width ?? 0)).toBeLessThanOrEqual((view?.x ?? 0) + (view?.width ?? 0) + 0.5)
      await narrow.screenshot({ path: join(reports, "console-dlq-1400.png"), fullPage: true })
    } finally {
      await narrow.close()
    }
  })

  it("lists the failing chain's dead letters and shows one with its secrets redacted", async () => {
    await page.click("nav a[data-view=dlq]")
    await page.selectOption("#dlq-filter select[name=webhook]", "billing")
    await page.click("#dlq-filter button[type=submit]")
    // the view's first, unfiltered load may still land: wait for the filtered rows
    await page.waitForFunction(
      `[...document.querySelectorAll("#dlq-list tbody tr[data-at]")].length > 0 &&
       [...document.querySelectorAll("#dlq-list tbody tr[data-at]")].every((r) => r.textContent.includes("billing"))`
    )
    const rows = await page.locator("#dlq-list tbody tr[data-at]").allTextContents()
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) expect(row).toContain("billing")
    expect(await page.locator("#dlq-stats").textContent()).toContain("charge")
    await shot("dlq")

    await page.locator("#dlq-list tbody tr[data-at]").first().click()
    const drawer = page.locator("#drawer-body")
    await drawer.locator("pre.json").waitFor()
    const text = await drawer.textContent()
    expect(text).toContain("charge")
    expect(text).toContain("***REDACTED***")
    expect(text).toContain('"author": "ann"')
    await page.screenshot({ path: join(reports, "console-record.png") })
    expect(await page.content()).not.toContain(SECRET)
    await page.click("#drawer-close")
  })

  it("answers only to a loopback Host header while open (no token): a DNS-rebound page is refused", async () => {
    const { hostname, port } = new URL(consoleUrl)
    const statusFor = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request({ hostname, port, path: "/console/api/info", headers: { host } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        req.on("error", reject)
        req.end()
      })
    expect(await statusFor(`127.0.0.1:${port}`)).toBe(200)
    expect(await statusFor(`localhost:${port}`)).toBe(200)
    expect(await statusFor(`rebound.example:${port}`)).toBe(421)
  })

  it("replays the filtered dead letters from the page, and their results succeed", async () => {
    failing = false
    // one event through first: it closes the payments circuit (half-open lets a single probe pass)
    await producer.send({ topic: topics.input, messages: [{ ...event("billing", 10_000), key: "probe" }] })
    const okBefore = () => [...results.values()].filter((list) => list.some((r) => r.status === "succeeded")).length
    const before = okBefore()
    await waitFor(() => okBefore() > before, { timeoutMs: 30_000, description: "the probe's result" })

    const response = await fetch(`${consoleUrl}api/dlq?webhook=billing&limit=500`)
    const page1 = (await response.json()) as { stats: { total: number }; entries: Array<{ event_id: string }> }
    const ids = new Set(page1.entries.map((e) => e.event_id))
    expect(ids.size).toBe(page1.stats.total)
    expect(ids.size).toBeGreaterThan(0)

    await page.click("#dlq-replay")
    await page.locator("#replay-count").waitFor()
    expect(await page.locator("#replay-count").textContent()).toBe(String(ids.size))
    await shot("replay-confirm", false)
    await page.click("#replay-confirm")
    await page.waitForFunction(`document.querySelector("#replay-text")?.textContent.startsWith("done")`, undefined, {
      timeout: 60_000
    })
    expect(await page.locator("#replay-text").textContent()).toContain(`${ids.size} published`)
    await shot("replay-done", false)

    await waitFor(
      () =>
        [...ids].every((id) => results.get(id)?.some((r) => r.status === "succeeded" && r.replayCount === 1) === true),
      {
        timeoutMs: 60_000,
        description: () =>
          `succeeded replay results for ${ids.size} events (have ${[...ids].filter((id) => results.get(id)?.some((r) => r.status === "succeeded")).length})`
      }
    )
  })

  it("finds an event by id from the search box: its arrival, results, dead letter and replay, redacted", async () => {
    const response = await fetch(`${consoleUrl}api/dlq?webhook=billing&limit=1`)
    const [first] = ((await response.json()) as { entries: Array<{ event_id: string }> }).entries
    const id = first?.event_id ?? ""
    expect(id).not.toBe("")
    // the replay dialog of the previous test is modal: close it first
    if (await page.locator("#replay-close").isVisible()) await page.click("#replay-close")
    await page.fill("#event-id", id)
    await page.press("#event-id", "Enter")
    const drawer = page.locator("#drawer-body")
    await drawer.locator("#event-summary").waitFor({ timeout: 30_000 })
    expect(await drawer.locator("#event-summary").textContent()).toMatch(/record\(s\), newest first/)
    expect(await page.locator("#drawer-title").textContent()).toBe(`Event ${id}`)
    const kinds = await drawer
      .locator(".trail-item")
      .evaluateAll((items) => items.map((i) => (i as unknown as { dataset: { kind: string } }).dataset.kind))
    // newest first: the replay's result, the replay, the dead letter and failed result, the original
    expect(kinds[0]).toBe("result")
    expect(kinds).toContain("dead_letter")
    expect(kinds.filter((k) => k === "input").length).toBe(2)
    expect(await drawer.locator(".trail-item[data-kind=result] .pill.s-succeeded").count()).toBeGreaterThan(0)
    await page.screenshot({ path: join(reports, "console-event.png") })
    expect(await page.content()).not.toContain(SECRET)
    expect((await fetch(`${consoleUrl}api/event?id=`)).status).toBe(400)
    await page.click("#drawer-close")
  })

  it("shows a rejected reload and why in the Streams view; a valid one changes the streams drawn", async () => {
    await page.click("nav a[data-view=streams]")
    const version = await page.locator("#config-version").textContent()
    expect(version).toMatch(/^[0-9a-f]{12}$/)
    // an edit that does not validate: the old config keeps running, the page says so
    writeFileSync(join(streamsDir, "refunds.yaml"), "id: refunds\nchain:\n  - module: htp\n")
    await waitFor(() => output.includes("config reload rejected"), {
      timeoutMs: 30_000,
      description: () => `the rejected reload in the output:\n${output.slice(-2_000)}`
    })
    const rejected = page.locator("#config-rejected")
    await rejected.waitFor({ timeout: 15_000 })
    expect(await rejected.textContent()).toContain("refunds.yaml:chain.0.module: unknown module 'htp'")
    expect(await page.locator("#config-version").textContent()).toBe(version)
    expect(await page.locator(".stream[data-stream=refunds]").count()).toBe(0)
    await shot("reload-rejected", false)
    // fixed: applied, drawn, and the red box goes (the rejection is older than the config in use)
    writeFileSync(join(streamsDir, "refunds.yaml"), "id: refunds\nchain:\n  - module: log\n    id: note\n")
    await page.locator(".stream[data-stream=refunds]").waitFor({ timeout: 30_000 })
    expect(await page.locator("#config-rejected").count()).toBe(0)
    expect(await page.locator("#config-version").textContent()).not.toBe(version)
    expect(output).toContain('"msg":"config reloaded"')
  })
})
