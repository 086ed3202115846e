/**
 * While `npm start` runs, its Kafka is this checkout's default: `.kafka/npm-start.json` names
 * the address and the pid of the npm start process, so every `hookstream` command run from
 * the checkout finds the broker without --brokers (see src/cli/brokers.ts). The file goes
 * when npm start stops; one whose pid is gone (npm start was SIGKILLed) is stale and ignored.
 */
import { readFileSync } from "node:fs"
import { mkdir, readFile, rm, writeFile } from "node:fs/promises"
import { dirname, join } from "node:path"
import { Effect, Schema, type Scope } from "effect"
import { isAlive } from "./BrokerProcess.ts"
import { defaultKafkaHome } from "./KafkaPaths.ts"

export const CHECKOUT_BROKER_FILE = join(defaultKafkaHome, "npm-start.json")

const CheckoutBroker = Schema.Struct({ brokers: Schema.String, pid: Schema.Int })
export type CheckoutBroker = typeof CheckoutBroker.Type
const decode = Schema.decodeUnknownOption(Schema.fromJsonString(CheckoutBroker))

const parse = (text: string): CheckoutBroker | undefined => {
  const state = decode(text)
  return state._tag === "Some" && state.value.brokers.trim() !== "" ? state.value : undefined
}

/** The broker `npm start` announced, if that npm start is still running. */
export const checkoutBroker = (file: string = CHECKOUT_BROKER_FILE): CheckoutBroker | undefined => {
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return undefined
  }
  const state = parse(text)
  return state !== undefined && isAlive(state.pid) ? state : undefined
}

/**
 * Announces `brokers` as this checkout's Kafka for as long as the scope is open (`npm start`).
 * On close the file is removed, unless another npm start has announced its own since.
 */
export const announceCheckoutBroker = (
  brokers: string,
  file: string = CHECKOUT_BROKER_FILE
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      await mkdir(dirname(file), { recursive: true })
      await writeFile(file, `${JSON.stringify({ brokers, pid: process.pid })}\n`)
    }),
    () =>
      Effect.promise(async () => {
        const state = parse(await readFile(file, "utf8").catch(() => ""))
        if (state?.pid === process.pid) await rm(file, { force: true })
      })
  )
