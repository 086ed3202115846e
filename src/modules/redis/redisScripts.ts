/**
 * The dedupe guard of the list and stream modes: one Lua script each, so "remember the
 * idempotency key" and "push" happen atomically. A redelivery within the TTL finds the key
 * and pushes nothing; a crash between the two steps cannot happen.
 *
 * The target's type is checked before anything is written: Redis does not roll a script
 * back, so a WRONGTYPE from the push after the SET would leave the key remembered and
 * every retry of the event deduped away.
 */
import { createHash } from "node:crypto"

export interface RedisScript {
  readonly source: string
  readonly sha: string
}

const script = (source: string): RedisScript => ({ source, sha: createHash("sha1").update(source).digest("hex") })

const guard = (type: string) => `
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind ~= 'none' and kind ~= '${type}' then
  return redis.error_reply('WRONGTYPE the target key holds a ' .. kind .. ', not a ${type}')
end
if not redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return false
end
`

/** KEYS: list, dedupe key. ARGV: ttl ms, message. Returns the list's length, or nil for a duplicate. */
export const listPush = script(`${guard("list")}
return redis.call('RPUSH', KEYS[1], ARGV[2])
`)

/**
 * KEYS: stream, dedupe key. ARGV: ttl ms, maxlen ('' for none), then field/value pairs.
 * Returns the entry id, or nil for a duplicate.
 */
export const streamAdd = script(`${guard("stream")}
if ARGV[2] == '' then
  return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
end
return redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', unpack(ARGV, 3))
`)
