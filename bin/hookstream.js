#!/usr/bin/env node
// hookstream runs TypeScript directly with Node's built-in type stripping (Node >= 22.18),
// so there is no build step between a checkout and a running process.
const [major, minor] = process.versions.node.split(".").map(Number)
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `hookstream needs Node >= 22.19 (found ${process.version}). Run it through npm (npm start, npx hookstream), ` +
      "which uses the Node 22 pinned in this project's devDependencies, or with that Node directly: " +
      "node_modules/.bin/node bin/hookstream.js\n"
  )
  process.exit(1)
}
await import("../src/cli/main.ts")
