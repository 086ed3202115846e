/** Runs the real `hookstream` executable in a child process, as a user would. */
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"

const root = join(import.meta.dirname, "..", "..", "..")
const node = join(root, "node_modules", ".bin", "node")

export const hookstream = async (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  try {
    const { stdout, stderr } = await promisify(execFile)(node, [join(root, "bin", "hookstream.js"), ...args], {
      cwd: root,
      env: { PATH: process.env["PATH"] ?? "", ...env }
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string }
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr }
  }
}
