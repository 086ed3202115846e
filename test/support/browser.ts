/**
 * A real headless Chromium for end-to-end tests of the operator console: the distribution's
 * `chromium` package driven by playwright-core (no browser download). The network is
 * closed on the project's machines, so everything that would phone home is off, or
 * Chromium hangs on lookups. Playwright gives each launch a fresh profile directory.
 *
 * Without Chromium the browser suite is skipped, loudly (at the start and the end of the
 * run, and in the suite's name), so `npm ci && npm test` passes on a fresh machine; in CI
 * (`CI` set, as .ci/run does) it is mandatory and a missing browser fails the suite.
 */
import { existsSync } from "node:fs"
import { type Browser, chromium } from "playwright-core"

/** Where distributions put it; CHROMIUM_PATH, when set, is the only place looked at. */
const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome-stable"]

export const INSTALL_HINT = "install: apt-get install chromium, or set CHROMIUM_PATH"

export const findChromium = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  const given = env["CHROMIUM_PATH"]
  if (given !== undefined && given !== "") return existsSync(given) ? given : undefined
  return CANDIDATES.find((path) => existsSync(path))
}

/** CI=true (or any value but "" / "0" / "false") */
export const inCi = (env: NodeJS.ProcessEnv = process.env): boolean => {
  const ci = env["CI"]?.trim().toLowerCase()
  return ci !== undefined && ci !== "" && ci !== "0" && ci !== "false"
}

/** Why the browser suite does not run, or undefined when it does (Chromium found, or CI). */
export const browserSkipReason = (env: NodeJS.ProcessEnv = process.env): string | undefined => {
  if (findChromium(env) !== undefined || inCi(env)) return undefined
  const where = env["CHROMIUM_PATH"] ? `not at CHROMIUM_PATH=${env["CHROMIUM_PATH"]}` : CANDIDATES.join(", ")
  return `skipped: no Chromium (${where}; ${INSTALL_HINT})`
}

export const launchChromium = async (): Promise<Browser> => {
  const executablePath = findChromium()
  if (executablePath === undefined)
    throw new Error(
      `no Chromium (${process.env["CHROMIUM_PATH"] ?? CANDIDATES.join(", ")}): ${INSTALL_HINT}. In CI the browser suite is mandatory.`
    )
  return chromium.launch({
    executablePath,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage"
    ]
  })
}
