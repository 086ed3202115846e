/**
 * Which names name a secret: the one rule behind every redaction hookstream does (payload and
 * header keys in the console, the log step and log fields; `name=value` and `"name": value`
 * in error text and log lines). Pure.
 *
 * A name is split into words whatever its spelling: camelCase, PascalCase, snake_case,
 * kebab-case, dots, spaces, letters against digits (`clientSecret`, `CLIENT_SECRET`,
 * `client-secret`, `X-Client-Secret` are all `client secret`); a leading `x` word and number
 * words are ignored. It is secret when
 *   - its last words are a secret noun: `password`, `passphrase`, `secret`, `token`, `auth`,
 *     `authorization`, `credentials`, `cookie`, `api key`, `private key`, `access key`,
 *     `session id`, `connection string`, `database url`, `dsn`… (`accessToken`, `userPassword`,
 *     `X-Authorization`, `aws_secret_access_key`, `basicAuth`), or its last word ends with one,
 *     run together as lower-case headers and environment variables write them
 *     (`accesstoken`, `x-clientsecret`, `PGPASSWORD`, `oauth`), or
 *   - it starts with `password`, `passwd`, `passphrase`, `secret` or `authorization`
 *     (`passwordHash`, `secret_value`), or
 *   - its first word starts with `password`, `passwd` or `passphrase` (`passwordless` too), or
 *   - it is exactly `pass` or `pwd`.
 * Trailing qualifiers (`_old`, `_hash`, `Encrypted`, `_value`…), number suffixes and version
 * marks (`-v2`) are ignored: `client_secret_old` and `apiKeyV2` are secrets too.
 * Words, not substrings: `author`, `authority`, `authored_at`, `keywords`, `monkey`,
 * `tokenizer`, `secretary`, `passport`, `bypass` are not secrets, and neither are names where
 * the secret noun only qualifies another (`token_count`, `token_type`, `auth_method`,
 * `primary_key`, `idempotency_key`, `client_secret_expires_at`).
 */

/** The phrases a secret name may end with, each written as its words run together. */
const SECRET_TAILS = new Set([
  "password",
  "passwd",
  "pwd",
  "passphrase",
  "passcode",
  "secret",
  "secrets",
  "token",
  "tokens",
  "auth",
  "authorization",
  "authheader",
  "authcode",
  "authorizationcode",
  "credential",
  "credentials",
  "cookie",
  "cookies",
  "apikey",
  "apikeys",
  "privatekey",
  "secretkey",
  "accesskey",
  "signingkey",
  "encryptionkey",
  "masterkey",
  "sessionkey",
  "sessionid",
  "connectionstring",
  "databaseurl",
  "dburl",
  "dsn",
  "jwt"
])
/** the longest phrase above, in words (`authorization code`, `connection string`) */
const MAX_TAIL_WORDS = 2

const SECRET_HEADS = new Set(["password", "passwd", "passphrase", "secret", "secrets", "authorization"])
const WHOLE_NAMES = new Set(["pass", "pwd"])
const RUN_TOGETHER_HEADS = ["password", "passwd", "passphrase"]

/**
 * The words of a name, lower-cased: split at separators, at lower→upper and letter↔digit
 * changes, and before the last capital of a capital run (`HTTPHeader` → http, header).
 */
export const nameWords = (name: string): ReadonlyArray<string> =>
  name
    .replace(/([\p{Ll}\p{N}])(\p{Lu})/gu, "$1 $2")
    .replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
    .replace(/(\p{L})(\p{N})/gu, "$1 $2")
    .replace(/(\p{N})(\p{L})/gu, "$1 $2")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word !== "")

/** Words after a secret noun that leave it a secret (`client_secret_old`, `refreshTokenEncrypted`). */
const QUALIFIERS = new Set([
  "old",
  "new",
  "prev",
  "previous",
  "current",
  "next",
  "primary",
  "secondary",
  "backup",
  "b",
  "base",
  "enc",
  "encrypted",
  "encoded",
  "hash",
  "hashed",
  "raw",
  "value",
  "val",
  "hex",
  "plain",
  "plaintext",
  "str",
  "text"
])

const isNumber = (word: string | undefined) => word !== undefined && /^\p{N}+$/u.test(word)

/** The words that decide: without a leading `x` (`X-Api-Key`), number words and version marks (`-v2`). */
const significant = (name: string): ReadonlyArray<string> => {
  const all = nameWords(name)
  const words = all.filter((word, i) => !isNumber(word) && !(word === "v" && isNumber(all[i + 1])))
  return words.length > 1 && words[0] === "x" ? words.slice(1) : words
}

/** The name with case and separators gone (`X-Client-Secret` → `clientsecret`): how configured names compare. */
export const compactName = (name: string): string => significant(name).join("")

/** The name as lower-case words joined by `_` (`clientSecret` → `client_secret`): what configured patterns see. */
export const snakeName = (name: string): string => nameWords(name).join("_")

export const isSecretName = (name: string): boolean => {
  const words = [...significant(name)]
  // `token_value` is `token`: trailing qualifiers do not make a secret anything else
  while (words.length > 1 && QUALIFIERS.has(words.at(-1) as string)) words.pop()
  const n = words.length
  if (n === 0) return false
  const first = words[0] as string
  const last = words[n - 1] as string
  if (n === 1 && WHOLE_NAMES.has(first)) return true
  if (SECRET_HEADS.has(first) || RUN_TOGETHER_HEADS.some((head) => first.startsWith(head))) return true
  // `accesstoken`, `x-clientsecret`, `PGPASSWORD`: a secret noun run together with another word
  // (and with a qualifier after it, `accesstokenencrypted`)
  const runTogether = [
    last,
    ...[...QUALIFIERS].filter((q) => q.length >= 3 && last.endsWith(q)).map((q) => last.slice(0, -q.length))
  ]
  for (const word of runTogether) for (const tail of SECRET_TAILS) if (word.endsWith(tail)) return true
  let tail = ""
  for (let k = 2; k <= Math.min(n, MAX_TAIL_WORDS); k++) {
    tail = (words[n - k] as string) + tail
    if (SECRET_TAILS.has(tail + last)) return true
  }
  return false
}
