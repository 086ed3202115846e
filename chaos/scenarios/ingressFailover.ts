/**
 * ingress_failover: the real `hookstream ingress` under load from clients that each post
 * their own key's events one after another (each answer names its event id), while the node
 * leading the most input partitions is SIGKILLed, stays down, and comes back. Read back with
 * a read_committed consumer afterwards:
 * - every 202 is on the input topic exactly once (lost 0, duplicates 0);
 * - no 503'd request's record is visible (its transaction was aborted or never sent);
 * - per key, the accepted events are on the topic in the order they were sent;
 * - the ingress only ever answers 202 or 503, survives, and stops cleanly on SIGTERM.
 * It also reports the time from the kill to full throughput (202s per second) again, and
 * how long /readyz said 503.
 */
import { Effect } from "effect"
import { readCommitted } from "../../src/kafka/TopicReader.ts"
import { awaitInSync, awaitTopicsOnEveryNode, busiestLeader } from "../harness/cluster.ts"
import { nodeClient } from "../harness/clusterRun.ts"
import { startIngressProcess } from "../harness/processes.ts"
import type { Sizes } from "../harness/sizes.ts"
import { type Fault, recoveries, reportRecoveries } from "../harness/throughput.ts"
import { type ChaosContext, Checks, round, type ScenarioResult, scenarioResult } from "../harness/types.ts"
import { makeWorkspace } from "../harness/workspace.ts"

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

interface Sent {
  readonly id: string
  readonly client: number
  readonly seq: number
}

const sample = (list: ReadonlyArray<Sent>) =>
  list
    .slice(0, 5)
    .map((s) => s.id)
    .join(",")

/** seconds /readyz answered 503, from (status, time) samples taken every `everyMs` */
const notReadySeconds = (samples: ReadonlyArray<{ at: number; status: number }>, everyMs: number) =>
  (samples.filter((s) => s.status !== 200).length * everyMs) / 1_000

export const ingressFailover = async (ctx: ChaosContext, size: Sizes["ingress_failover"]): Promise<ScenarioResult> => {
  const cluster = ctx.cluster
  if (cluster === undefined) throw new Error("ingress_failover needs the run's three-node cluster")
  const started = Date.now()
  const checks = new Checks()
  const figures: Record<string, number | string | boolean> = {}
  const ws = await makeWorkspace(ctx, "ingress_failover", {
    partitions: 6,
    connections: {},
    streams: { hooks: { id: "hooks", ingress: { key: "/client" }, chain: [{ module: "log" }] } }
  })
  await awaitTopicsOnEveryNode(cluster.nodes, nodeClient, Object.values(ws.topics), 60_000)
  const ingress = startIngressProcess(ws, {
    brokers: ctx.brokers,
    label: "ingress_failover",
    maxInFlight: 1_024,
    produceTimeout: size.produceTimeout,
    verbose: ctx.verbose
  })
  const accepted: Array<Sent> = []
  const acceptedAt: Array<number> = []
  const rejected: Array<Sent> = []
  const codes = new Map<string, number>()
  const readiness: Array<{ at: number; status: number }> = []
  const faults: Array<Fault> = []
  let loading = true
  try {
    await ingress.ready()
    const url = `${ingress.url()}/webhooks/hooks`
    const ops = ingress.opsUrl()
    const sampler = (async () => {
      while (loading) {
        const status = await fetch(`${ops}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
          (r) => r.status,
          () => 0
        )
        readiness.push({ at: performance.now(), status })
        await sleep(100)
      }
    })()
    const client = async (c: number) => {
      for (let seq = 0; loading; seq++) {
        try {
          const r = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ client: `c${c}`, seq })
          })
          // the ingress names the event in its answer, 202 or 503 alike (an unsigned delivery id
          // header is not taken as the event id)
          const answer = (await r.json().catch(() => ({}))) as { event_id?: string }
          const sent = { id: answer.event_id ?? `unnamed-c${c}-${seq}`, client: c, seq }
          codes.set(String(r.status), (codes.get(String(r.status)) ?? 0) + 1)
          if (r.status === 202) {
            accepted.push(sent)
            acceptedAt.push(performance.now())
          } else if (r.status === 503) rejected.push(sent)
        } catch (e) {
          const key = `error ${e instanceof Error ? e.message : String(e)}`
          codes.set(key, (codes.get(key) ?? 0) + 1)
          // the request's fate is unknown: count it as neither, and say so in the codes
        }
      }
    }
    const clients = Promise.all(Array.from({ length: size.clients }, (_, c) => client(c)))

    await sleep(size.warmupMs)
    const victim = await busiestLeader(ctx.kafka, [ws.topics.input])
    const node = cluster.nodes.find((n) => n.id === victim)
    if (node === undefined) throw new Error(`no node ${victim}`)
    faults.push({ name: `SIGKILL node ${victim}`, at: performance.now() })
    ctx.log(`  SIGKILL node ${victim} (leads the most input partitions) after ${accepted.length} × 202`)
    await node.stop("SIGKILL")
    await sleep(size.downMs)
    faults.push({ name: `node ${victim} back`, at: performance.now() })
    await node.start()
    await awaitInSync(ctx.kafka, 120_000)
    await sleep(size.tailMs)
    loading = false
    await clients
    await sampler

    const killedAt = faults[0]?.at ?? 0
    const backAt = faults[1]?.at ?? 0
    figures["readyz_503_s_while_down"] = notReadySeconds(
      readiness.filter((s) => s.at >= killedAt && s.at < backAt),
      100
    )
    figures["readyz_503_s_before_kill"] = notReadySeconds(
      readiness.filter((s) => s.at < killedAt),
      100
    )
    const firstDown = readiness.find((s) => s.at >= killedAt && s.status !== 200)
    const readyAgain = readiness.find((s) => firstDown !== undefined && s.at > firstDown.at && s.status === 200)
    figures["readyz_503_after_ms"] = firstDown === undefined ? "never" : Math.round(firstDown.at - killedAt)
    figures["readyz_200_again_after_s"] = readyAgain === undefined ? "never" : round((readyAgain.at - killedAt) / 1_000)

    // read back: every record a read_committed consumer sees on the input topic
    const records = await Effect.runPromise(readCommitted(ctx.kafka, ws.topics.input))
    const onTopic = new Map<string, number>()
    const offsetsOf = new Map<number, Array<{ seq: number; partition: number; offset: bigint }>>()
    for (const r of records) {
      const value = JSON.parse(r.value?.toString("utf8") ?? "{}") as {
        id?: string
        payload?: { client?: string; seq?: number }
      }
      const id = value.id ?? `@${r.partition}:${r.offset}`
      onTopic.set(id, (onTopic.get(id) ?? 0) + 1)
      const c = Number(/^c(\d+)$/.exec(value.payload?.client ?? "")?.[1] ?? -1)
      const list = offsetsOf.get(c) ?? []
      list.push({ seq: value.payload?.seq ?? -1, partition: r.partition, offset: BigInt(r.offset) })
      offsetsOf.set(c, list)
    }
    const lost = accepted.filter((s) => !onTopic.has(s.id))
    const duplicates = accepted.reduce((n, s) => n + Math.max(0, (onTopic.get(s.id) ?? 0) - 1), 0)
    const visible503 = rejected.filter((s) => onTopic.has(s.id))
    const known = new Set([...accepted, ...rejected].map((s) => s.id))
    const strangers = [...onTopic.keys()].filter((id) => !known.has(id))
    // per client (one key, one partition): first copies in offset order must have rising seqs
    let violations = 0
    for (const list of offsetsOf.values()) {
      list.sort((a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0))
      const seen = new Set<number>()
      let last = -1
      for (const { seq } of list) {
        if (seen.has(seq)) continue
        seen.add(seq)
        if (seq < last) violations++
        last = Math.max(last, seq)
      }
    }
    const { baselinePerS, each } = recoveries(acceptedAt, faults, Math.min(5_000, size.warmupMs - 1_000))

    checks.add(
      "every 202 is on the topic (lost = 0)",
      lost.length === 0,
      `${lost.length} of ${accepted.length} ${sample(lost)}`
    )
    checks.add("every 202 is on the topic once (duplicates = 0)", duplicates === 0, `${duplicates}`)
    checks.add(
      "no 503'd request's record is visible",
      visible503.length === 0,
      `${visible503.length} of ${rejected.length} ${sample(visible503)}`
    )
    checks.add(
      "nothing else is on the topic",
      strangers.length === 0,
      `${strangers.length} ${strangers.slice(0, 5).join(",")}`
    )
    checks.add("per-key order on the topic: 0 violations", violations === 0, `${violations}`)
    const others = [...codes].filter(([code]) => code !== "202" && code !== "503")
    checks.add("only 202 and 503 answers", others.length === 0, JSON.stringify(Object.fromEntries(codes)))
    const recoveryList = reportRecoveries(checks, figures, faults, each)
    checks.add(
      "/readyz turned 503 while the node was down",
      firstDown !== undefined,
      String(figures["readyz_503_after_ms"])
    )
    checks.add("/readyz 200 again", readyAgain !== undefined, String(figures["readyz_200_again_after_s"]))
    checks.add("the ingress survived", ingress.running(), ingress.running() ? "running" : "exited")
    const stop = await ingress.kill("SIGTERM")
    checks.add("stops cleanly on SIGTERM", stop.code === 0, JSON.stringify(stop))

    figures["clients"] = size.clients
    figures["accepted_202"] = accepted.length
    figures["rejected_503"] = rejected.length
    figures["baseline_202_per_s"] = round(baselinePerS)
    figures["order_violations"] = violations
    figures["records_on_topic"] = records.length
    return scenarioResult(
      { events: accepted.length, outcomes: records.length, lost: lost.length, duplicates },
      checks,
      started,
      `node ${victim} SIGKILLed for ${size.downMs / 1_000} s under ${size.clients} clients: ${accepted.length}×202 (${lost.length} not on the topic, ${duplicates} repeats), ` +
        `${rejected.length}×503 (${visible503.length} visible); full throughput again after ${recoveryList.join(" / ")} s; ` +
        `/readyz 503 ${figures["readyz_503_after_ms"]} ms after the kill, 200 again after ${figures["readyz_200_again_after_s"]} s`,
      figures
    )
  } finally {
    loading = false
    await ingress.kill("SIGKILL")
    await ws.close()
  }
}
