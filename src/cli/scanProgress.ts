/**
 * Progress of a long DLQ scan on stderr (stdout keeps the answer, JSON included): nothing for
 * a scan that ends within two seconds, then a line rewritten in place on a TTY, or a plain
 * line every five seconds otherwise.
 */
import type { ScanProgress } from "../dlq/readDlq.ts"
import { scanLine } from "./render.ts"

const QUIET_MS = 2_000

export const makeScanProgress = (label: string) => {
  const tty = process.stderr.isTTY === true
  const startedAt = Date.now()
  let lastAt = 0
  let drawn = false
  return {
    onProgress: (p: ScanProgress) => {
      const now = Date.now()
      if (now - startedAt < QUIET_MS || now - lastAt < (tty ? 100 : 5_000)) return
      lastAt = now
      if (tty) {
        process.stderr.write(`\r\x1b[2K${scanLine(label, p.scanned, p.total)}`)
        drawn = true
      } else process.stderr.write(`${scanLine(label, p.scanned, p.total)}\n`)
    },
    /** clears the line in place before the answer is printed */
    finish: () => {
      if (drawn) process.stderr.write("\r\x1b[2K")
      drawn = false
    }
  }
}
