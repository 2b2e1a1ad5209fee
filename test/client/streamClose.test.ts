import { expect } from "chai";
import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import { SystemClock } from "../../daemon/adapters/SystemClock.js";
import { AtsyncClient } from "../../client/index.js";
import type { EventStream } from "../../client/index.js";
import { EventHub } from "../../daemon/rpc/EventHub.js";
import { RpcServer } from "../../daemon/rpc/RpcServer.js";
import { serveEvents } from "../../daemon/rpc/serveEvents.js";
import type { Disposable } from "../../daemon/ports.js";
import { tempDir, waitFor } from "../rpc/helpers.js";

const clock = new SystemClock();

describe("EventStream closed while its subscribe is in flight", () => {
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let server: RpcServer;
  let hub: EventHub;
  let events: Disposable;
  let client: AtsyncClient | undefined;

  before(async () => {
    tmp = tempDir("atsyncd-client-stream-");
    socketPath = join(tmp.dir, "rpc.sock");
    server = await RpcServer.listen({ clock, socketPath, daemonVersion: "t" });
    hub = new EventHub({ clock, snapshot: () => [] });
    events = serveEvents(server, hub);
  });
  after(async () => {
    await client?.close();
    events.dispose();
    await server.close();
    tmp.remove();
  });

  it("unsubscribes server-side once the reply comes", async () => {
    const ref: { stream?: EventStream } = {};
    let closing: Promise<unknown> | undefined;
    client = await AtsyncClient.connect({
      connect: (): Socket => {
        const s = createConnection({ path: socketPath });
        const write = s.write.bind(s) as (data: string) => boolean;
        // Close the stream right after its subscribe frame leaves, before the reply can arrive.
        s.write = ((data: string): boolean => {
          const ok = write(data);
          if (ref.stream && closing === undefined && data.includes('"events.subscribe"')) closing = ref.stream.close();
          return ok;
        }) as typeof s.write;
        return s;
      },
    });
    let subscribed = 0;
    const subscribe = hub.subscribe.bind(hub);
    hub.subscribe = (req, sink) => {
      subscribed++;
      return subscribe(req, sink);
    };
    ref.stream = client.subscribe({});
    await waitFor(() => closing !== undefined, "subscribe sent");
    await closing;
    // The daemon did subscribe (the frame was sent); it must not keep streaming to nobody.
    // (On a busy machine the daemon may read the frame only now: wait for it, then for the unsubscribe.)
    await waitFor(() => subscribed === 1 && hub.subscriberCount === 0, "server-side subscribe, then unsubscribe", 5000);
    expect(subscribed).to.equal(1);
    expect(client.connected).to.equal(true);
  });
});
