/**
 * Comparisons of secrets that take the same time wherever the inputs differ. Hashing both
 * sides first also hides the expected length: `timingSafeEqual` itself refuses inputs of
 * different lengths, and an early length check would tell an attacker how long a token is.
 */
import { createHash, timingSafeEqual } from "node:crypto"

export const sha256 = (value: string | Buffer): Buffer => createHash("sha256").update(value).digest()

/** Constant-time equality of a presented value with an expected digest (`sha256(expected)`). */
export const matchesDigest = (presented: string | Buffer, expectedDigest: Buffer): boolean =>
  timingSafeEqual(sha256(presented), expectedDigest)

/**
 * True when `presented` equals any of the digests. Every entry is compared (no early exit),
 * so the time does not tell which one matched or how many there are before it.
 */
export const matchesAnyDigest = (presented: string | Buffer, expectedDigests: ReadonlyArray<Buffer>): boolean => {
  const digest = sha256(presented)
  let matched = 0
  for (const expected of expectedDigests) matched |= timingSafeEqual(digest, expected) ? 1 : 0
  return matched === 1
}

/** Constant-time equality of two MACs of a known, public length (HMAC-SHA256: 32 bytes). */
export const macEquals = (presented: Buffer, expected: Buffer): boolean =>
  presented.length === expected.length && timingSafeEqual(presented, expected)
