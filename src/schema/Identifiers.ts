/**
 * Names that end up in other systems (topics, tables, subjects, queues, headers, hosts).
 * Each is checked when the stream loads, with a message saying what is allowed, so a typo
 * fails `hookstream validate` rather than the first delivery at 3 a.m.
 */
import { isIP } from "node:net"
import { Schema } from "effect"
import { matching, rule } from "./Checks.ts"

/** Stream ids, module ids and connection names share one shape: they appear in headers, keys and paths. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/u
const NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
export const StreamId = matching(NAME_PATTERN, `a stream id of ${NAME_RULE}`)
export const ModuleId = matching(NAME_PATTERN, `a module id of ${NAME_RULE}`)
export const ConnectionName = matching(NAME_PATTERN, `a connection name of ${NAME_RULE}`)

export const KafkaTopic = Schema.String.check(
  rule<string>(
    (topic) =>
      !/^[A-Za-z0-9._-]{1,249}$/.test(topic)
        ? `expected a Kafka topic name of 1 to 249 letters, digits, '.', '_' or '-', got '${topic}'`
        : topic === "." || topic === ".."
          ? `'${topic}' is not a valid Kafka topic name`
          : undefined,
    { jsonSchema: { pattern: "^[A-Za-z0-9._-]{1,249}$" } }
  )
)

const SQL_RESERVED = new Set(
  (
    "all alter and as asc between by case check column constraint create cross current_date current_time " +
    "default delete desc distinct drop else end except exists false fetch for foreign from full grant group " +
    "having in index inner insert intersect into is join key left like limit not null offset on or order " +
    "outer primary references right select set table then to true union unique update user using values when where with"
  ).split(" ")
)

const sqlIdentifierProblem = (name: string): string | undefined =>
  !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)
    ? `expected an SQL identifier of 1 to 63 letters, digits or '_', not starting with a digit, got '${name}'`
    : SQL_RESERVED.has(name.toLowerCase())
      ? `'${name}' is a reserved SQL word; choose another name`
      : undefined

/** A column or table name, used unquoted-safe in generated SQL. */
export const SqlIdentifier = Schema.String.check(
  rule<string>(sqlIdentifierProblem, { jsonSchema: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,62}$" } })
)

/** `table` or `schema.table`. */
export const SqlTableName = Schema.String.check(
  rule<string>(
    (name) => {
      const parts = name.split(".")
      if (parts.length > 2) return `expected 'table' or 'schema.table', got '${name}'`
      for (const part of parts) {
        const problem = sqlIdentifierProblem(part)
        if (problem !== undefined) return problem
      }
      return undefined
    },
    { jsonSchema: { pattern: "^[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?$" } }
  )
)

/** NATS subjects we publish to: dot-separated tokens, no wildcards, no whitespace. */
export const NatsSubject = Schema.String.check(
  rule<string>(
    (subject) =>
      subject.length > 255 || !/^[^\s.*>]+(\.[^\s.*>]+)*$/.test(subject)
        ? `expected a NATS subject of dot-separated tokens without spaces or wildcards (* >), got '${subject}'`
        : undefined,
    { jsonSchema: { pattern: "^[^\\s.*>]+(\\.[^\\s.*>]+)*$", maxLength: 255 } }
  )
)

export const NatsStreamName = matching(
  /^[^\s.*>/\\]{1,64}$/u,
  "a JetStream stream name of 1 to 64 characters without spaces, '.', '*', '>' or path separators"
)

/** RabbitMQ queue and exchange names; `amq.` is reserved by the broker. */
export const AmqpName = Schema.String.check(
  rule<string>(
    (name) =>
      !/^[A-Za-z0-9_.:-]{1,255}$/.test(name)
        ? `expected a name of 1 to 255 letters, digits, '_', '.', ':' or '-', got '${name}'`
        : name.startsWith("amq.")
          ? `'${name}' starts with 'amq.', which RabbitMQ reserves`
          : undefined,
    { jsonSchema: { pattern: "^[A-Za-z0-9_.:-]{1,255}$" } }
  )
)

/** MQTT topics we publish to: no wildcards, no `$` system prefix. */
export const MqttTopic = Schema.String.check(
  rule<string>((topic) =>
    topic.length === 0 || topic.length > 1024 || /[+#]/.test(topic) || topic.includes("\u0000")
      ? `expected an MQTT topic of 1 to 1024 characters without wildcards (+ #), got '${topic}'`
      : topic.startsWith("$")
        ? `'${topic}' starts with '$', which MQTT reserves for broker topics`
        : undefined
  )
)

/** Redis channel, list and stream keys. */
export const RedisKey = matching(
  /^[\x21-\x7e]{1,1024}$/u,
  "a Redis key of 1 to 1024 printable characters without spaces"
)

/** RFC 7230 header field name. */
export const HeaderName = matching(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,200}$/u, "an HTTP header name (RFC 7230 token)")

/** Header values may not smuggle extra headers. */
export const HeaderValue = Schema.String.check(
  rule<string>((value) =>
    /[\r\n]/.test(value) || value.includes("\u0000") || value.length > 8192
      ? "header values may not contain CR, LF or NUL and are at most 8192 characters"
      : undefined
  )
)

/** RFC 6901 JSON Pointer into the payload, e.g. `/customer/id`. */
export const JsonPointer = matching(/^(\/([^~/]|~[01])*)+$/u, "a JSON Pointer such as /customer/id")

const cidrProblem = (value: string): string | undefined => {
  const [address = "", prefix, ...rest] = value.split("/")
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return `expected an IP address or CIDR such as 10.0.0.0/8, got '${value}'`
  if (prefix === undefined) return undefined
  const max = family === 4 ? 32 : 128
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= max
    ? undefined
    : `expected a prefix length between 0 and ${max} in '${value}'`
}

/** An IP address or CIDR block (ingress allowlists). */
export const Cidr = Schema.String.check(rule<string>(cidrProblem))

const HOSTNAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** A host name (optionally `*.example.com`), an IP address, or a CIDR block (the SSRF guard's allowlist). */
export const HostOrCidr = Schema.String.check(
  rule<string>((value) =>
    value.includes("/") || isIP(value) !== 0 || /^[\d.]+$/.test(value)
      ? cidrProblem(value)
      : value.length <= 253 && HOSTNAME.test(value)
        ? undefined
        : `expected a host name, IP address or CIDR, got '${value}'`
  )
)

/** Problem with a `host:port` string, as Kafka brokers are written, or `undefined`. */
export const hostPortProblem = (value: string): string | undefined => {
  const match = /^(.+):(\d{1,5})$/.exec(value)
  const host = match?.[1]?.replace(/^\[(.*)\]$/, "$1") ?? ""
  const port = Number(match?.[2] ?? 0)
  return match !== null && port >= 1 && port <= 65535 && (isIP(host) !== 0 || HOSTNAME.test(host))
    ? undefined
    : `expected host:port such as 127.0.0.1:9092, got '${value}'`
}

export const HostPort = Schema.String.check(rule<string>(hostPortProblem))

/** A NATS server: `host:port` or `nats://`, `tls://`, `ws://`, `wss://` URLs without credentials. */
export const natsServerProblem = (value: string): string | undefined => {
  const match = /^(nats|tls|ws|wss):\/\/(.*)$/.exec(value)
  if (match === null) return hostPortProblem(value)
  if ((match[2] ?? "").includes("@")) return "credentials in server URLs are not allowed; use token or user/password"
  return /^[^/:@]+(:\d{1,5})?\/?$/.test(match[2] ?? "")
    ? undefined
    : `expected a NATS server URL such as nats://127.0.0.1:4222, got '${value}'`
}

export const Port = Schema.Int.check(
  Schema.isBetween({ minimum: 1, maximum: 65535 }, { expected: "a port between 1 and 65535" })
)

/** An absolute http(s) URL without credentials in it (those belong in a connection's secrets). */
export const HttpUrl = Schema.String.check(
  rule<string>(
    (value) => {
      let url: URL
      try {
        url = new URL(value)
      } catch {
        return "expected an absolute http:// or https:// URL"
      }
      if (url.protocol !== "http:" && url.protocol !== "https:")
        return `expected an http:// or https:// URL, got ${url.protocol}`
      if (url.username !== "" || url.password !== "") {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: users write the literal ${VAR} syntax
        return "credentials in the URL are not allowed; put them in the connection's headers as ${VAR} secrets"
      }
      if (value.length > 8192) return "URLs are limited to 8192 characters"
      return undefined
    },
    { jsonSchema: { format: "uri" } }
  )
)
