/**
 * `npm run schemas`: writes schemas/*.schema.json from the Effect Schemas in src/.
 * test/unit/config/jsonSchemas.test.ts fails when the checked-in files differ from this output.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { generateJsonSchemas } from "../src/config/jsonSchemas.ts"

const directory = join(import.meta.dirname, "..", "schemas")
mkdirSync(directory, { recursive: true })
for (const { file, text } of generateJsonSchemas()) {
  writeFileSync(join(directory, file), text)
  process.stdout.write(`wrote schemas/${file}\n`)
}
