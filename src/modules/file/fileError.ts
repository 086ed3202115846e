/**
 * File system errors mapped once to `DestinationError`. A full disk or too many open files can
 * clear up, so they are retryable; permissions, a read-only file system or a path that is not
 * a directory will not fix themselves.
 */
import { type DestinationError, destinationError } from "../../domain/DestinationError.ts"
import { PathEscape } from "./confinedDirectory.ts"

const transient = new Set(["ENOSPC", "EDQUOT", "EMFILE", "ENFILE", "EAGAIN", "EBUSY", "EIO", "EINTR", "ETIMEDOUT"])
const permission = new Set(["EACCES", "EPERM"])
const layout = new Set(["EROFS", "ENOTDIR", "EISDIR", "ELOOP", "ENAMETOOLONG", "ENOENT", "EEXIST", "EINVAL"])

/** `what` names the operation and the directory relative to the base, never file contents. */
export const fileError = (what: string, error: unknown): DestinationError => {
  if (error instanceof PathEscape) return destinationError("blocked", error.message)
  const code =
    typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
      ? error.code
      : undefined
  const message = `${what} failed${code === undefined ? "" : ` (${code})`}`
  if (code === undefined) return destinationError("unknown", message)
  if (transient.has(code)) return destinationError("unavailable", message)
  if (permission.has(code)) return destinationError("unauthorized", message)
  if (layout.has(code)) return destinationError("misconfigured", message)
  return destinationError("unknown", message)
}
