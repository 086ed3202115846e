/**
 * mqtt.js errors → DestinationError, once: socket errors by code, refused CONNACKs and
 * MQTT 5 PUBACK/PUBCOMP failures by reason code (MQTT 3.1.1 return codes are 1-5, MQTT 5
 * reason codes 128 and up).
 */
import { DestinationError, type DestinationErrorReason, destinationError } from "../../domain/DestinationError.ts"
import { sanitizeMessage } from "../../domain/sanitize.ts"

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
  "ECONNABORTED"
])

const byReasonCode: Readonly<Record<number, DestinationErrorReason>> = {
  1: "misconfigured", // unacceptable protocol version
  2: "misconfigured", // identifier rejected
  3: "unavailable", // server unavailable
  4: "unauthorized", // bad username or password
  5: "unauthorized", // not authorized
  128: "unavailable", // unspecified error
  131: "unavailable", // implementation specific error
  132: "misconfigured", // unsupported protocol version
  133: "misconfigured", // client identifier not valid
  134: "unauthorized", // bad user name or password
  135: "unauthorized", // not authorized
  136: "unavailable", // server unavailable
  137: "unavailable", // server busy
  138: "unauthorized", // banned
  139: "unavailable", // server shutting down
  140: "misconfigured", // bad authentication method
  144: "misconfigured", // topic name invalid
  149: "invalid_payload", // packet too large
  150: "throttled", // message rate too high
  151: "throttled", // quota exceeded
  153: "invalid_payload", // payload format invalid
  154: "misconfigured", // retain not supported
  155: "misconfigured", // QoS not supported
  156: "unavailable", // use another server
  157: "unavailable", // server moved
  159: "throttled" // connection rate exceeded
}

export const mqttError = (error: unknown): DestinationError => {
  if (error instanceof DestinationError) return error
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : undefined
  const text = `mqtt: ${sanitizeMessage(error instanceof Error ? error.message : String(error))}`
  if (typeof code === "string") {
    if (NETWORK_CODES.has(code)) return destinationError("unreachable", text)
    if (code === "ETIMEDOUT") return destinationError("timeout", text)
  }
  if (typeof code === "number") return destinationError(byReasonCode[code] ?? "unknown", text)
  if (error instanceof Error && /connack timeout|Keepalive timeout/.test(error.message)) {
    return destinationError("timeout", text)
  }
  if (error instanceof Error && /client disconnecting|Connection closed/.test(error.message)) {
    return destinationError("unavailable", text)
  }
  return destinationError("unknown", text)
}
