/**
 * The process's logger: Effect's `Logger` service writing through pino. JSON lines (one per
 * record, with `level`, `time`, `msg` and the fields) when the output is not a terminal,
 * pino-pretty's human-readable lines when it is. `LOG_LEVEL` (trace, debug, info, warn, error,
 * fatal, silent; default info) sets Effect's minimum level too, so a line below it is never
 * even built.
 *
 * Lines go to stdout, or to stderr where the fiber says `Logger.LogToStderr` (commands whose
 * stdout is data: dlq, replay --json, send, validate --json).
 */

import { createRequire } from "node:module"
import { Effect, Layer, Logger, type LogLevel, References } from "effect"
import pino, { type DestinationStream, type Level } from "pino"
import { logRecordParts } from "./logFields.ts"

export interface LoggingOptions {
  /** LOG_LEVEL */
  readonly level?: string | undefined
  /** where lines go; default stdout (fd 1) and stderr (fd 2) */
  readonly stdout?: DestinationStream
  readonly stderr?: DestinationStream
  /** human-readable output; default: when that fd is a TTY */
  readonly pretty?: boolean
}

const LEVELS: Record<string, LogLevel.LogLevel> = {
  trace: "Trace",
  debug: "Debug",
  info: "Info",
  warn: "Warn",
  warning: "Warn",
  error: "Error",
  fatal: "Fatal",
  silent: "None",
  none: "None",
  off: "None"
}

/** LOG_LEVEL → Effect's level; `undefined` when it names none. */
export const parseLogLevel = (value: string | undefined): LogLevel.LogLevel | undefined =>
  value === undefined || value.trim() === "" ? "Info" : LEVELS[value.trim().toLowerCase()]

const PINO_LEVEL: Record<LogLevel.LogLevel, Level | undefined> = {
  All: "trace",
  Trace: "trace",
  Debug: "debug",
  Info: "info",
  Warn: "warn",
  Error: "error",
  Fatal: "fatal",
  None: undefined
}

const isTty = (fd: 1 | 2): boolean => (fd === 1 ? process.stdout.isTTY : process.stderr.isTTY) === true

// pino-pretty only loads when a terminal is attached: a process logging JSON never pays for it
const require = createRequire(import.meta.url)
const pretty = (options: import("pino-pretty").PrettyOptions): DestinationStream =>
  (require("pino-pretty") as typeof import("pino-pretty")).build(options)

const pinoFor = (fd: 1 | 2, level: LogLevel.LogLevel, options: LoggingOptions): pino.Logger => {
  const given = fd === 1 ? options.stdout : options.stderr
  const human = options.pretty ?? (given === undefined && isTty(fd))
  // synchronous writes: a line logged just before the process exits is not lost
  const stream = human
    ? pretty({
        destination: given ?? fd,
        sync: true,
        colorize: given === undefined,
        translateTime: "SYS:HH:MM:ss.l",
        ignore: "pid",
        singleLine: true
      })
    : (given ?? pino.destination({ fd, sync: true }))
  return pino(
    {
      level: PINO_LEVEL[level] ?? "silent",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) }
    },
    stream
  )
}

/** Effect's `Logger` over two pino instances (stdout, stderr). */
export const makeHookstreamLogger = (options: LoggingOptions = {}): Logger.Logger<unknown, void> => {
  const level = parseLogLevel(options.level) ?? "Info"
  let out: pino.Logger | undefined
  let err: pino.Logger | undefined
  return Logger.make(({ message, logLevel, cause, fiber }) => {
    const pinoLevel = PINO_LEVEL[logLevel]
    if (pinoLevel === undefined) return
    // built on first use: a command that never logs to stderr opens nothing there
    let target: pino.Logger
    if (fiber.getRef(Logger.LogToStderr)) {
      err ??= pinoFor(2, level, options)
      target = err
    } else {
      out ??= pinoFor(1, level, options)
      target = out
    }
    if (!target.isLevelEnabled(pinoLevel)) return
    const { msg, fields } = logRecordParts(
      message,
      fiber.getRef(References.CurrentLogAnnotations),
      cause,
      fiber.cache.span
    )
    target[pinoLevel](fields, msg)
  })
}

/** The process's loggers, kept for code that runs detached from the main fiber (KafkaJS's log callback). */
let installed: { readonly logger: Logger.Logger<unknown, void>; readonly minimum: LogLevel.LogLevel } | undefined

/** Replaces Effect's default logger with hookstream's and sets the minimum level. */
export const loggingLayer = (options: LoggingOptions = {}): Layer.Layer<never> => {
  const minimum = parseLogLevel(options.level) ?? "Info"
  const logger = makeHookstreamLogger(options)
  const warnBadLevel =
    parseLogLevel(options.level) === undefined
      ? Layer.effectDiscard(Effect.logWarning(`LOG_LEVEL=${options.level ?? ""} is not a level; using info`))
      : Layer.empty
  const base = Layer.mergeAll(
    Logger.layer([logger]),
    Layer.succeed(References.MinimumLogLevel, minimum),
    Layer.effectDiscard(
      Effect.sync(() => {
        installed = { logger, minimum }
      })
    )
  )
  return warnBadLevel.pipe(Layer.provideMerge(base))
}

/** Runs a log effect outside the main fiber with the process's logger (when one is installed). */
export const withProcessLogger = <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  installed === undefined
    ? effect
    : effect.pipe(
        Effect.provideService(Logger.CurrentLoggers, new Set([installed.logger])),
        Effect.provideService(References.MinimumLogLevel, installed.minimum)
      )
