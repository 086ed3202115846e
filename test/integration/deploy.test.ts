/**
 * The deployment files, as far as they can be checked without a Docker engine or a cluster:
 * - Dockerfile: multi-stage, the Node that package.json pins, `npm ci` of the locked runtime
 *   dependencies, a non-root user, a HEALTHCHECK on the ops port, and an exec-form command that
 *   is the README's production command;
 * - that command, started here exactly as the image starts it (the program itself, no shell, no
 *   npx: `node bin/hookstream.js run`, and `… ingress`), gets ready and exits 0 on SIGTERM;
 * - deploy/kubernetes/hookstream.yaml: every document valid against the Kubernetes API schemas
 *   (kubernetes-models), probes on the ops port, a PodDisruptionBudget per Deployment, grace
 *   periods longer than the drain.
 */
import { spawn } from "node:child_process"
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Deployment } from "kubernetes-models/apps/v1/Deployment"
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget"
import { ConfigMap } from "kubernetes-models/v1/ConfigMap"
import { Service } from "kubernetes-models/v1/Service"
import { describe, expect, it } from "vitest"
import { parseAllDocuments } from "yaml"
import { createTopics, kafkaBrokers, testKafka, uniqueName } from "../support/kafka.ts"
import { waitFor } from "../support/waitFor.ts"

const root = join(import.meta.dirname, "..", "..")
const dockerfile = await readFile(join(root, "Dockerfile"), "utf8")
const readme = await readFile(join(root, "README.md"), "utf8")
const packageJson = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
  devDependencies: Record<string, string>
}

/** the JSON array of an exec-form instruction (`ENTRYPOINT ["…"]`) */
const execForm = (instruction: string): ReadonlyArray<string> => {
  const line = dockerfile.split("\n").find((l) => l.startsWith(`${instruction} `))
  if (line === undefined) throw new Error(`no ${instruction} in the Dockerfile`)
  return JSON.parse(line.slice(instruction.length + 1)) as ReadonlyArray<string>
}

const imageCommand = [...execForm("ENTRYPOINT"), ...execForm("CMD")]

describe("Dockerfile", () => {
  it("builds in two stages from the Node that package.json pins, with the locked runtime dependencies", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2)
    const image = /^ARG NODE_IMAGE=node:(\S+)-bookworm-slim$/m.exec(dockerfile)?.[1]
    expect(image).toBe(packageJson.devDependencies["node"])
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev --ignore-scripts/m)
    expect(dockerfile).toMatch(/^COPY package\.json package-lock\.json/m)
  })

  it("runs as the unprivileged user, health-checked on the ops port", () => {
    expect(dockerfile).toMatch(/^USER node$/m)
    expect(dockerfile).toMatch(
      /^HEALTHCHECK .*\\\n\s+CMD \["node", "-e", ".*HOOKSTREAM_OPS_PORT \|\| 9464\) \+ '\/healthz'/m
    )
  })

  it("starts the README's production command in exec form: node is PID 1, no shell or npx in between", () => {
    expect(imageCommand).toEqual(["node", "bin/hookstream.js", "run"])
    // the README's "Running it under a process manager" gives the production command as a CMD
    const documented = /^CMD (\[.*\])$/m.exec(readme)?.[1]
    expect(documented === undefined ? undefined : JSON.parse(documented)).toEqual(imageCommand)
    expect(readme).toContain("no Docker engine")
  })
})

/** The image's command for `subcommand`, started as the image starts it; resolves with its exit. */
const startAsTheImageDoes = (subcommand: string, env: Record<string, string>) => {
  // the image's `node` is this Node (same version, checked above); the rest is the image's argv
  const [, script] = imageCommand
  const child = spawn(process.execPath, [script as string, subcommand], {
    cwd: root,
    env: { PATH: process.env["PATH"] ?? "", NODE_ENV: "production", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout.on("data", (d: Buffer) => {
    output += d.toString("utf8")
  })
  child.stderr.on("data", (d: Buffer) => {
    output += d.toString("utf8")
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal }))
  )
  return { child, exited, output: () => output }
}

describe("the image's command", () => {
  it.each(["run", "ingress"])("`node bin/hookstream.js %s` gets ready and exits 0 on SIGTERM", async (subcommand) => {
    const dir = await mkdtemp(join(tmpdir(), "hookstream-image-"))
    const base = uniqueName("image")
    const topics = { input: `${base}.in`, results: `${base}.results`, dlq: `${base}.dlq` }
    await createTopics(
      testKafka("deploy-test"),
      Object.values(topics).map((topic) => ({ topic }))
    )
    await mkdir(join(dir, "streams"))
    await writeFile(join(dir, "streams", "orders.yaml"), "id: orders\ningress: {}\nchain: [{ module: log }]\n")
    const started = startAsTheImageDoes(subcommand, {
      KAFKA_BROKERS: kafkaBrokers(),
      HOOKSTREAM_STREAMS: join(dir, "streams"),
      HOOKSTREAM_GROUP: `${base}.group`,
      HOOKSTREAM_INPUT: topics.input,
      HOOKSTREAM_RESULTS: topics.results,
      HOOKSTREAM_DLQ: topics.dlq,
      HOOKSTREAM_DEFERRED: "off",
      HOOKSTREAM_OPS_HOST: "127.0.0.1",
      HOOKSTREAM_OPS_PORT: "0",
      HOOKSTREAM_INGRESS_HOST: "127.0.0.1",
      HOOKSTREAM_INGRESS_PORT: "0",
      HOOKSTREAM_CONSOLE: "false"
    })
    try {
      let opsUrl: string | undefined
      await waitFor(
        () => {
          opsUrl =
            /"ops":"(http:\/\/[^"]+)"/.exec(started.output())?.[1] ??
            /ops on (http:\/\/\S+)/.exec(started.output())?.[1]
          return opsUrl !== undefined
        },
        { timeoutMs: 30_000, description: () => `the ops URL in the output:\n${started.output()}` }
      )
      await waitFor(async () => (await fetch(`${opsUrl}/readyz`)).status === 200, {
        timeoutMs: 30_000,
        description: () => `ready:\n${started.output()}`
      })
      started.child.kill("SIGTERM")
      expect(await started.exited, started.output()).toEqual({ code: 0, signal: null })
    } finally {
      started.child.kill("SIGKILL")
      await rm(dir, { recursive: true, force: true })
    }
  })
})

interface K8sObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: { readonly name: string }
  readonly spec?: Record<string, unknown>
}

const manifests = parseAllDocuments(await readFile(join(root, "deploy", "kubernetes", "hookstream.yaml"), "utf8")).map(
  (d) => d.toJS() as K8sObject
)
const deployments = manifests.filter((m) => m.kind === "Deployment").map((m) => new Deployment(m as never))
const budgets = manifests
  .filter((m) => m.kind === "PodDisruptionBudget")
  .map((m) => new PodDisruptionBudget(m as never))

describe("deploy/kubernetes/hookstream.yaml", () => {
  it("is valid against the Kubernetes API schemas, document by document", () => {
    const models: Record<string, (m: K8sObject) => { validate: () => void }> = {
      "apps/v1/Deployment": (m) => new Deployment(m as never),
      "policy/v1/PodDisruptionBudget": (m) => new PodDisruptionBudget(m as never),
      "v1/Service": (m) => new Service(m as never),
      "v1/ConfigMap": (m) => new ConfigMap(m as never)
    }
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      ["ConfigMap", "Deployment", "Deployment", "PodDisruptionBudget", "PodDisruptionBudget", "Service"].sort()
    )
    for (const m of manifests) {
      const model = models[`${m.apiVersion}/${m.kind}`]
      expect(model, `${m.apiVersion} ${m.kind}`).toBeDefined()
      expect(() => model?.(m).validate(), `${m.kind} ${m.metadata.name}`).not.toThrow()
    }
  })

  it("probes each container on the ops port: /healthz for liveness, /readyz for readiness", () => {
    for (const d of deployments) {
      const [container] = d.spec?.template.spec?.containers ?? []
      expect(container?.ports).toContainEqual({ name: "ops", containerPort: 9464 })
      expect(container?.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "ops" })
      expect(container?.startupProbe?.httpGet).toEqual({ path: "/healthz", port: "ops" })
      expect(container?.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "ops" })
      expect(["run", "ingress"]).toContain(container?.args?.[0])
      expect(container?.image).not.toMatch(/:latest$|^[^:]+$/)
      expect(d.spec?.template.spec?.securityContext?.runAsNonRoot).toBe(true)
    }
  })

  it("gives each Deployment a disruption budget and a grace period longer than its drain", () => {
    const drainSeconds: Record<string, number> = { run: 30, ingress: 5 }
    for (const d of deployments) {
      const labels = d.spec?.template.metadata?.labels ?? {}
      const covering = budgets.filter((b) =>
        Object.entries(b.spec?.selector?.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
      )
      expect(covering, d.metadata?.name).toHaveLength(1)
      const subcommand = d.spec?.template.spec?.containers[0]?.args?.[0] ?? ""
      expect(d.spec?.template.spec?.terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds[subcommand] ?? 0)
      expect(d.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe(0)
    }
  })
})
