// Times a routing condition per candidate CEL implementation (see conformance.mjs for setup).
import * as buf from "@bufbuild/cel"
import * as marc from "@marcbachmann/cel-js"
import * as chrome from "cel-js"

const payload = {
  action: "opened",
  number: 42,
  amount: 1250,
  pull_request: { title: "x", labels: [{ name: "bug" }, { name: "ui" }] },
  commits: [{ id: "a" }, { id: "b" }]
}
const ctx = {
  payload,
  headers: { "x-github-event": "pull_request", "content-type": "application/json" },
  webhook_id: "github",
  event: { id: "e1", key: "k", received_at: "2026-01-01T00:00:00Z", replay_count: 0 }
}
const exprs = {
  simple: `headers["x-github-event"] == "pull_request"`,
  compound: `headers["x-github-event"] == "pull_request" && payload.action in ["opened", "synchronize"] && payload.pull_request.labels.exists(l, l.name == "bug")`,
  numeric: `payload.amount > 1000`,
  numericEq: `payload.number == 42`
}
const N = 200_000
const time = (label, f) => {
  for (let i = 0; i < 20000; i++) f()
  const t0 = performance.now()
  let r
  for (let i = 0; i < N; i++) r = f()
  const us = ((performance.now() - t0) * 1000) / N
  console.log(label.padEnd(28), us.toFixed(3), "µs", String(r))
}
for (const [name, src] of Object.entries(exprs)) {
  try {
    const env = buf.celEnv()
    const p = buf.plan(env, buf.parse(src))
    time(`buf ${name}`, () => p(ctx))
  } catch (e) {
    console.log(`buf ${name}`, "ERR", e.message)
  }
  try {
    const p = marc.parse(src)
    time(`marc ${name}`, () => p(ctx))
  } catch (e) {
    console.log(`marc ${name}`, "ERR", e.message.split("\n")[0])
  }
  try {
    const env = new marc.Environment({ unlistedVariablesAreDyn: true })
    const p = env.parse(src)
    time(`marc-env ${name}`, () => p(ctx))
  } catch (e) {
    console.log(`marc-env ${name}`, "ERR", e.message.split("\n")[0])
  }
  try {
    const p = chrome.parse(src)
    time(`chrome ${name}`, () => chrome.evaluate(p.cst, ctx))
  } catch (e) {
    console.log(`chrome ${name}`, "ERR", e.message)
  }
}
