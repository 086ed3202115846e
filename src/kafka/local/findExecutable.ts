import { accessSync, constants } from "node:fs"
import { delimiter, join } from "node:path"

/** The absolute path of `name` on PATH, or undefined; lets us name a missing tool before spawning it. */
export const findExecutable = (name: string, path: string = process.env["PATH"] ?? ""): string | undefined => {
  for (const dir of path.split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this PATH entry; keep looking
    }
  }
  return undefined
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set (as Maven does), else `java` from PATH. */
export const findJava = (): string | undefined => {
  const javaHome = process.env["JAVA_HOME"]
  if (javaHome !== undefined && javaHome !== "") return findExecutable("java", join(javaHome, "bin"))
  return findExecutable("java")
}
