import { join, resolve } from "node:path"

/** `<project>/.kafka`: git-ignored; holds the jar cache, throw-away broker runs and the dev broker. */
export const defaultKafkaHome = resolve(import.meta.dirname, "../../../.kafka")

export interface KafkaPaths {
  readonly home: string
  /** `lib-<version>/`: the generated pom.xml, `jars/` and the `resolved.json` marker */
  readonly libDir: string
  readonly jarsDir: string
  readonly marker: string
  /** one sub-folder per throw-away broker */
  readonly runsDir: string
  /** the persistent broker of `npm run kafka:start` */
  readonly devDir: string
}

export const kafkaPaths = (home: string, version: string): KafkaPaths => {
  const libDir = join(home, `lib-${version}`)
  return {
    home,
    libDir,
    jarsDir: join(libDir, "jars"),
    marker: join(libDir, "resolved.json"),
    runsDir: join(home, "run"),
    devDir: join(home, "dev")
  }
}
