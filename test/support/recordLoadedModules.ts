/**
 * Preloaded with `node --import` (see test/unit/cli/validateLoadsNoDriver.test.ts): records the
 * URL of every module the process resolves, `import` and `require` alike, and writes them one
 * a line to the file named by HOOKSTREAM_LOADED_MODULES when the process exits.
 */
import { writeFileSync } from "node:fs"
import { registerHooks } from "node:module"

const out = process.env["HOOKSTREAM_LOADED_MODULES"]
const loaded = new Set<string>()
if (out !== undefined) {
  registerHooks({
    resolve: (specifier, context, nextResolve) => {
      const resolved = nextResolve(specifier, context)
      loaded.add(resolved.url)
      return resolved
    }
  })
  process.on("exit", () => writeFileSync(out, [...loaded].join("\n")))
}
