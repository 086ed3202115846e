/**
 * file: writes each event as `<idempotency key>.json` (`<webhook_id>%3A<event_id>%3A<module id>.json`)
 * under a directory confined to the process's file base directory (HOOKSTREAM_FILE_DIR, default
 * ./data, read once per `make`). Naming by the delivery's idempotency key (see
 * file/deliveryFileName.ts) makes a redelivery overwrite the same file instead of adding a
 * copy (the sink dedupes), and keeps two streams whose events share an id apart. Files are written whole (temp + fsync + rename), mode 0600;
 * directories are created 0700 and must resolve inside the base directory (symlinks included).
 * No connection.
 */
import { randomBytes } from "node:crypto"
import { type FileHandle, mkdir, open, realpath, rename, unlink } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Effect, Exit } from "effect"
import type { DestinationError } from "../domain/DestinationError.ts"
import type { Delivery, DestinationRuntime, Receipt } from "./Destination.ts"
import { confinedDirectory } from "./file/confinedDirectory.ts"
import { deliveryFileName } from "./file/deliveryFileName.ts"
import type { FileConfig } from "./file/FileConfig.ts"
import { fileError } from "./file/fileError.ts"

/** The base directory, from HOOKSTREAM_FILE_DIR (default `./data`, relative to the working directory). */
export const fileBaseDirectory = (env: NodeJS.ProcessEnv = process.env): string =>
  resolve(env.HOOKSTREAM_FILE_DIR || "./data")

/** What lands in the file: the event, not hookstream's bookkeeping. */
const render = (delivery: Delivery<FileConfig>): string => {
  const record: Record<string, unknown> = {
    event_id: delivery.eventId,
    webhook_id: delivery.webhookId,
    ...(delivery.key === undefined ? {} : { key: delivery.key }),
    payload_encoding: delivery.payloadEncoding,
    payload: delivery.payload,
    ...(delivery.config.include_headers ? { headers: delivery.headers } : {})
  }
  return `${JSON.stringify(record, null, delivery.config.pretty ? 2 : undefined)}\n`
}

const closeQuietly = (handle: FileHandle) => handle.close().catch(() => undefined)

/** fsync of the directory, so the rename itself survives a crash (the sink "durably accepted" it). */
const syncDirectory = async (dir: string): Promise<void> => {
  const handle = await open(dir, "r")
  try {
    await handle.sync()
  } finally {
    await closeQuietly(handle)
  }
}

/**
 * temp file (O_EXCL, 0600) → write → fsync → close → rename over `<event>.json` → fsync dir.
 * Readers never see a partial file; a redelivery replaces the file whole. Interruption aborts
 * the write through its AbortSignal and the release removes the temp file; once the rename
 * has started the delivery is done, so that step is not interruptible.
 */
const writeAtomically = (dir: string, name: string, body: string, shown: string) => {
  const temp = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`)
  const final = join(dir, name)
  const attempt = <A>(what: string, run: (signal: AbortSignal) => Promise<A>) =>
    Effect.tryPromise({ try: run, catch: (error) => fileError(`${what} in '${shown}'`, error) })
  return Effect.acquireUseRelease(
    attempt("creating the temp file", () => open(temp, "wx", 0o600)),
    (handle) =>
      attempt("writing the event file", async (signal) => {
        await handle.writeFile(body, { encoding: "utf8", signal })
        await handle.sync()
        await handle.close()
      }).pipe(
        Effect.andThen(
          attempt("renaming the event file", async () => {
            await rename(temp, final)
            await syncDirectory(dir)
          }).pipe(Effect.uninterruptible)
        )
      ),
    (handle, exit) =>
      Effect.promise(async () => {
        // close() waits for a write still running on the handle, so the unlink comes after it
        await closeQuietly(handle)
        if (Exit.isFailure(exit)) await unlink(temp).catch(() => undefined)
      })
  )
}

export const fileDestination: DestinationRuntime<FileConfig> = {
  make: () =>
    Effect.gen(function* () {
      const base = fileBaseDirectory()
      const realBase = yield* Effect.tryPromise({
        try: async () => {
          await mkdir(base, { recursive: true, mode: 0o700 })
          return await realpath(base)
        },
        catch: (error) => fileError("preparing the file base directory (HOOKSTREAM_FILE_DIR)", error)
      })
      const send = (delivery: Delivery<FileConfig>): Effect.Effect<Receipt, DestinationError> =>
        Effect.gen(function* () {
          const shown = delivery.config.directory
          const body = render(delivery)
          const dir = yield* Effect.tryPromise({
            try: () => confinedDirectory(realBase, shown),
            catch: (error) => fileError(`resolving directory '${shown}'`, error)
          })
          const name = deliveryFileName(delivery.idempotencyKey)
          yield* writeAtomically(dir, name, body, shown)
          return { detail: shown === "." ? name : `${shown}/${name}` }
        })
      return { send }
    })
}
