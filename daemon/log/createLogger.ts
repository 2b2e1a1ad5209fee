// The winston-backed Logger port (daemon/ports.ts). JSON lines when stdout is not a TTY
// (journald, files), colorized one-liners on a TTY.
//
// Worker threads: each worker calls createLogger itself (level from its workerData) and
// writes to fd 1 synchronously (see fdSink.ts) instead of posting records to main. Posting
// would cost a message per line on the port that carries requests, and lines posted just
// before a worker's fatal exit would be lost; direct writes keep them and keep lines whole.
import { isatty } from "node:tty";
import { Writable } from "node:stream";
import winston from "winston";
import type { LogLevel } from "../config/DaemonConfig.js";
import type { LogFields, Logger } from "../ports.js";
import { fdSink, type LineSink } from "./fdSink.js";
import { redactFields, redactText, type RedactOptions } from "./redact.js";

export type { LogLevel };
export type LogStyle = "json" | "pretty";

export interface LoggerOptions {
  level: LogLevel;
  /** Default: "pretty" when fd 1 is a TTY, else "json". */
  style?: LogStyle;
  /** Where finished lines go. Default: synchronous writes to fd 1. */
  sink?: LineSink;
  /** Fields on every record (e.g. `{ atSign }` in a worker). */
  bindings?: LogFields;
  redact?: RedactOptions;
}

// Fields winston owns; a caller's field of the same name is kept under another name.
const RESERVED = new Set(["level", "message", "msg", "time"]);

const MESSAGE = Symbol.for("message");

type Info = winston.Logform.TransformableInfo & Record<string | symbol, unknown>;

function toRecord(info: Info): { time: string; level: string; msg: string; fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) {
    if (k !== "level" && k !== "message" && k !== "time") fields[k] = v;
  }
  return { time: String(info.time), level: info.level, msg: String(info.message), fields };
}

function jsonLine(info: Info): string {
  const r = toRecord(info);
  return JSON.stringify({ time: r.time, level: r.level, msg: r.msg, ...r.fields });
}

const colors: Record<string, string> = { error: "\x1b[31m", warn: "\x1b[33m", info: "\x1b[32m", debug: "\x1b[90m" };

function prettyLine(info: Info): string {
  const r = toRecord(info);
  const { atSign, component, ...rest } = r.fields;
  const where = [atSign, component].filter((x) => x !== undefined).map(String).join(" ");
  const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ");
  const level = `${colors[r.level] ?? ""}${r.level.padEnd(5)}\x1b[0m`;
  return [r.time.slice(11, 23), level, where ? `[${where}]` : "", r.msg, extra].filter((s) => s !== "").join(" ");
}

function scrub(redact: RedactOptions) {
  return winston.format((info) => {
    const i = info as Info;
    i.message = redactText(String(i.message), redact);
    const fields: Record<string, unknown> = {};
    for (const k of Object.keys(i)) {
      if (k !== "level" && k !== "message") {
        fields[k] = i[k];
        delete i[k];
      }
    }
    Object.assign(i, redactFields(fields, redact));
    // eslint-disable-next-line no-restricted-syntax -- the Logger adapter stamps wall time, as journald does; it runs before any Clock
    i.time = new Date().toISOString();
    return i;
  })();
}

class WinstonLogger implements Logger {
  constructor(private readonly w: winston.Logger) {}

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    try {
      const safe: LogFields = {};
      for (const [k, v] of Object.entries(fields ?? {})) safe[RESERVED.has(k) ? `field_${k}` : k] = v;
      this.w.log({ ...safe, level, message: msg });
    } catch {
      // A log call must never throw into the caller.
    }
  }

  debug(msg: string, fields?: LogFields): void {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.write("error", msg, fields);
  }
  child(bindings: LogFields): Logger {
    const safe: LogFields = {};
    for (const [k, v] of Object.entries(bindings)) safe[RESERVED.has(k) ? `field_${k}` : k] = v;
    return new WinstonLogger(this.w.child(safe));
  }
}

export function defaultLogStyle(fd = 1): LogStyle {
  return isatty(fd) ? "pretty" : "json";
}

/** Builds one logger per thread; pass children down (`logger.child({ atSign, component })`). */
export function createLogger(opts: LoggerOptions): Logger {
  const sink = opts.sink ?? fdSink(1);
  const style = opts.style ?? defaultLogStyle();
  const line = style === "json" ? jsonLine : prettyLine;
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _enc, cb) {
      sink(typeof chunk === "string" ? chunk : chunk.toString("utf8"));
      cb();
    },
  });
  const w = winston.createLogger({
    level: opts.level,
    levels: { error: 0, warn: 1, info: 2, debug: 3 },
    format: winston.format.combine(
      scrub(opts.redact ?? {}),
      winston.format((info) => {
        (info as Info)[MESSAGE] = line(info as Info);
        return info;
      })(),
    ),
    defaultMeta: opts.bindings,
    transports: [new winston.transports.Stream({ stream, eol: "\n" })],
    exitOnError: false,
  });
  return new WinstonLogger(w);
}
