// A WebSocket as the byte stream an RpcConnection reads and writes, so a browser app is served by
// the same dispatcher, frame limits and flow control as a Unix-socket client. Inbound, each message
// is the bytes of newline-delimited frames (a browser sends one JSON.stringify'd request a message)
// and a newline is added after it, so no frame spans two messages and every message's frames go
// through the same FrameSplitter limits. Outbound, the connection writes whole lines, each sent as
// its own text message. Backpressure: the socket is paused while the readable side is full, and
// writes complete when `ws` has handed the message to the kernel.

import { Duplex } from "node:stream";
import type { RawData, WebSocket } from "ws";

const NEWLINE = Buffer.from("\n");

export class WebSocketStream extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super({ decodeStrings: false, allowHalfOpen: false });
    ws.on("message", (data: RawData) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (!this.push(Buffer.concat([bytes, NEWLINE]))) ws.pause();
    });
    ws.on("close", () => {
      this.push(null);
      this.destroy();
    });
    ws.on("error", (err) => this.destroy(err));
  }

  override _read(): void {
    this.ws.resume();
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    const lines = text.split("\n").filter((l) => l !== "");
    if (lines.length === 0 || this.ws.readyState !== this.ws.OPEN) {
      done();
      return;
    }
    let left = lines.length;
    let failed: Error | undefined;
    for (const line of lines) {
      this.ws.send(line, { binary: false }, (err) => {
        if (err && failed === undefined) failed = err;
        if (--left === 0) done(failed ?? null);
      });
    }
  }

  override _final(done: (err?: Error | null) => void): void {
    this.ws.close(1000);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
    done(err);
  }
}
