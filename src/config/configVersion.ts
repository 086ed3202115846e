/**
 * The config's version: a content hash of every file it was loaded from (stream files, the
 * connections file, payload_schema files), each with its path. Two loads of the same files
 * give the same version on every instance, so an operator can match a result record's
 * `config_version` with a commit of the streams repository, and a reload that changed
 * nothing is recognised as such. Environment values are not part of it (they cannot change
 * while the process runs).
 */
import { createHash } from "node:crypto"
import type { SourceText } from "./SourceDocument.ts"

/** 12 hex digits (48 bits): enough to tell configs of one deployment apart, short enough to read. */
export const configVersion = (sources: ReadonlyArray<SourceText>): string => {
  const hash = createHash("sha256")
  for (const source of [...sources].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(source.path).update("\0").update(source.text).update("\0")
  }
  return hash.digest("hex").slice(0, 12)
}
