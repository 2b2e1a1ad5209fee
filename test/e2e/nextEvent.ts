// Awaits one event of a stream, with a bounded wait.
import type { EventStream } from "../../client/index.js";
import type { AtsyncEvent } from "../../shared/events.js";

/** The next event of `stream` matching `pred`, or a failure after `timeoutMs`. */
export async function nextEvent<E extends AtsyncEvent>(stream: EventStream, pred: (e: AtsyncEvent) => e is E, timeoutMs = 15_000): Promise<E> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms`)), timeoutMs);
  });
  const found = (async () => {
    for (;;) {
      const r = await stream.next();
      if (r.done) throw new Error("event stream ended");
      if (pred(r.value)) return r.value;
    }
  })();
  try {
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
