/**
 * The DLQ index's text columns: texts that repeat (webhooks, module sets, errors) are interned
 * to small ids; texts that are mostly distinct (event ids) are packed as UTF-8 into pages.
 */
/**
 * Texts that are mostly distinct (event ids) packed as UTF-8 into 1 MiB pages: a row keeps
 * where its text starts and how long it is (6 bytes) plus the bytes themselves, instead of a
 * JS string each (~60 bytes for a ULID).
 */
const PAGE = 1 << 20
const MAX_TEXT = 1_024
export const makeTextArena = () => {
  const pages: Array<Buffer> = []
  let used = PAGE
  /** `[start, length]`; texts longer than MAX_TEXT bytes are cut (ids never are that long) */
  const put = (text: string): readonly [number, number] => {
    const bytes = Math.min(Buffer.byteLength(text), MAX_TEXT)
    if (used + bytes > PAGE) {
      pages.push(Buffer.allocUnsafe(PAGE))
      used = 0
    }
    const page = pages.length - 1
    const written = (pages[page] as Buffer).write(text, used, bytes, "utf8")
    const start = page * PAGE + used
    used += written
    return [start, written]
  }
  const get = (start: number, length: number): string =>
    pages[Math.floor(start / PAGE)]?.toString("utf8", start % PAGE, (start % PAGE) + length) ?? ""
  return { put, get, bytes: () => pages.length * PAGE }
}

export const makeInterner = (first: ReadonlyArray<string> = []) => {
  const ids = new Map<string, number>()
  const values: Array<string> = []
  const id = (value: string): number => {
    let found = ids.get(value)
    if (found === undefined) {
      found = values.length
      ids.set(value, found)
      values.push(value)
    }
    return found
  }
  for (const v of first) id(v)
  return { id, values, find: (value: string) => ids.get(value), size: () => values.length }
}
