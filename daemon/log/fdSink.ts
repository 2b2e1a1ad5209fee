// Log lines are written with writeSync to a file descriptor, from the main thread and from
// each worker alike. Synchronous on purpose: a worker that logs its fatal error and then
// exits must not lose the line (a worker's process.stdout is an async pipe to main), and
// one write() per line keeps lines from different threads whole (pipe writes up to
// PIPE_BUF are atomic; journald reads stdout as a pipe).
import { writeSync } from "node:fs";

export type LineSink = (line: string) => void;

const pause = new Int32Array(new SharedArrayBuffer(4));

export function fdSink(fd: number): LineSink {
  return (line) => {
    const buf = Buffer.from(line, "utf8");
    let off = 0;
    let waits = 0;
    while (off < buf.length) {
      try {
        off += writeSync(fd, buf, off);
      } catch (err) {
        // A non-blocking pipe that is full: wait briefly for the reader. Logging must never
        // take the daemon down, so after ~1s of a stuck reader the line is dropped.
        if ((err as NodeJS.ErrnoException).code === "EAGAIN" && waits++ < 1000) {
          Atomics.wait(pause, 0, 0, 1);
          continue;
        }
        return;
      }
    }
  };
}
