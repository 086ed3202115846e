/**
 * Resolves a step's `directory` under the file base directory and proves the result is still
 * inside it once symlinks are followed. Config validation already refuses `..` and absolute
 * paths; this catches what only the file system knows: a directory in the tree that is a
 * symlink to somewhere else.
 *
 * Missing directories are created one level at a time, each checked before the next is made,
 * so a symlink inside the base never gets a directory created through it outside the base.
 * (Someone who can swap a checked directory for a symlink between the check and the write
 * could still race us; Node has no openat/O_NOFOLLOW walk. The base directory must be
 * writable by hookstream only.)
 */
import { mkdir, realpath } from "node:fs/promises"
import { join, sep } from "node:path"

/** The resolved path left the base directory (a symlink, or a path that climbs out). */
export class PathEscape extends Error {
  override readonly name = "PathEscape"
}

export const isInside = (realBase: string, real: string): boolean =>
  real === realBase || real.startsWith(realBase.endsWith(sep) ? realBase : realBase + sep)

const errorCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined

const confined = async (realBase: string, path: string, shown: string): Promise<string> => {
  const real = await realpath(path)
  if (!isInside(realBase, real)) throw new PathEscape(`directory '${shown}' resolves outside the file base directory`)
  return real
}

/**
 * The real path of `relative` under `realBase` (itself a real path), creating missing
 * directories (mode 0700). Throws `PathEscape`, or the file system's own error.
 */
export const confinedDirectory = async (realBase: string, relative: string): Promise<string> => {
  const segments = relative.split("/").filter((segment) => segment !== "" && segment !== ".")
  if (segments.includes("..")) throw new PathEscape(`directory '${relative}' climbs out of the file base directory`)
  if (segments.length === 0) return realBase
  try {
    // the common case: everything exists already, one realpath call
    return await confined(realBase, join(realBase, ...segments), relative)
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw error
  }
  let current = realBase
  for (const [index, segment] of segments.entries()) {
    const next = join(current, segment)
    try {
      await mkdir(next, { mode: 0o700 })
    } catch (error) {
      if (errorCode(error) !== "EEXIST") throw error
    }
    current = await confined(realBase, next, segments.slice(0, index + 1).join("/"))
  }
  return current
}
