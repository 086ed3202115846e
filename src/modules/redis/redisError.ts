/**
 * Maps what `ioredis` throws to a DestinationError, once: socket codes and ioredis's own
 * connection errors, then the server's error prefix (the first word of a Redis error reply).
 * Messages keep the prefix and drop the rest, which may quote keys or arguments.
 */
import { type DestinationError, type DestinationErrorReason, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

const SOCKET_CODES: Readonly<Record<string, DestinationErrorReason>> = {
  ECONNREFUSED: "unreachable",
  ECONNRESET: "unreachable",
  EPIPE: "unreachable",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  ENOTFOUND: "unreachable",
  EAI_AGAIN: "unreachable",
  ETIMEDOUT: "timeout"
}

const PREFIXES: Readonly<Record<string, readonly [DestinationErrorReason, string]>> = {
  NOAUTH: ["unauthorized", "authentication required"],
  WRONGPASS: ["unauthorized", "wrong username or password"],
  NOPERM: ["unauthorized", "the user lacks permission for this command or key"],
  WRONGTYPE: ["misconfigured", "the target key holds another type"],
  LOADING: ["unavailable", "the server is loading its dataset"],
  BUSY: ["unavailable", "the server is busy running a script"],
  MASTERDOWN: ["unavailable", "the replica lost its master"],
  READONLY: ["unavailable", "the server is a read-only replica (failover in progress?)"],
  TRYAGAIN: ["unavailable", "the server asked to try again"],
  CLUSTERDOWN: ["unavailable", "the cluster is down"],
  OOM: ["unavailable", "the server is out of memory (maxmemory)"],
  MISCONF: ["unavailable", "the server cannot persist and refuses writes"],
  MOVED: ["misconfigured", "the key lives on another cluster node (cluster mode is not supported)"],
  ASK: ["misconfigured", "the key is migrating between cluster nodes (cluster mode is not supported)"],
  NOSCRIPT: ["unknown", "script not loaded"]
}

export const redisError = (error: unknown, target: string): DestinationError => {
  const say = (text: string) => sanitizeMessage(`redis: ${text} (${target})`)
  const code: unknown = typeof error === "object" && error !== null ? Reflect.get(error, "code") : undefined
  if (typeof code === "string" && SOCKET_CODES[code] !== undefined) {
    return destinationError(SOCKET_CODES[code], say(`cannot reach the server (${code})`))
  }
  const name = error instanceof Error ? error.name : ""
  const message = error instanceof Error ? error.message : String(error)
  if (name === "MaxRetriesPerRequestError" || /Connection is closed|Stream isn't writeable/i.test(message)) {
    return destinationError("unreachable", say("cannot reach the server (the connection failed or closed)"))
  }
  if (/timed? ?out/i.test(message) && name !== "ReplyError") {
    return destinationError("timeout", say("timed out talking to the server"))
  }
  // Redis 7 keeps the error prefix of a failing redis.call inside a script
  const prefix = /^(?:ERR Error running script.*?: )?-?([A-Z]+)\b/.exec(message)?.[1] ?? ""
  const known = PREFIXES[prefix]
  if (known !== undefined) return destinationError(known[0], say(`${known[1]} (${prefix})`))
  return destinationError("unknown", say(`server or driver error (${prefix === "" ? name || "unknown" : prefix})`))
}
