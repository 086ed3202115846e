/** What a component knows of its config's reloads: shown by the console, logged, counted. */

/** A reload that did not take effect: the old config kept running. */
export interface RejectedReload {
  /** epoch ms */
  readonly at: number
  /** what asked for it: `SIGHUP`, or the first file that changed */
  readonly why: string
  /** one line per problem, as `hookstream validate` prints them (`<file>:<path>: <reason>`) */
  readonly problems: ReadonlyArray<string>
}

export interface ReloadStatus {
  /** content hash of the files of the config in use (configVersion.ts) */
  readonly version: string
  /** configs applied since start, the first one included */
  readonly generation: number
  /** epoch ms the config in use took effect */
  readonly appliedAt: number
  /** the last reload that was rejected or failed, if any since start */
  readonly lastRejected: RejectedReload | undefined
}
