// Serves `events.subscribe` / `events.unsubscribe` from an EventHub: each subscription
// belongs to the connection that made it and ends with it.

import type { Disposable } from "../ports.js";
import type { AtsyncEvent } from "../../shared/events.js";
import { EventsSubscribe, EventsUnsubscribe } from "../../shared/methods.js";
import { EVENT_METHOD } from "../../shared/protocol.js";
import type { EventHub, HubSubscription } from "./EventHub.js";
import type { RpcServer } from "./RpcServer.js";

export function serveEvents(rpc: RpcServer, hub: EventHub): Disposable {
  const owned = new Map<string, { sub: HubSubscription; connectionId: string; closeHook: Disposable }>();
  // One JSON serialization per event, however many subscribers receive it.
  const json = new WeakMap<AtsyncEvent, string>();
  const serialize = (e: AtsyncEvent): string => {
    let s = json.get(e);
    if (s === undefined) json.set(e, (s = JSON.stringify(e)));
    return s;
  };

  const subscribe = rpc.handle(EventsSubscribe, (p, ctx) => {
    const { since, epoch, ...filter } = p;
    const peer = ctx.peer;
    let id = "";
    const sub = hub.subscribe({ filter, since, epoch }, {
      send: (e) => {
        // A narrowed copy is serialized apart; an event the peer gets as it is shares the one.
        const event = peer.narrowEvent ? peer.narrowEvent(e) : e;
        peer.notifyRaw(EVENT_METHOD, `{"subscriptionId":${JSON.stringify(id)},"event":${serialize(event)}}`);
      },
      get bufferedBytes() {
        return peer.bufferedBytes;
      },
      disconnect: (reason) => peer.close(reason),
    });
    id = sub.id;
    const closeHook = peer.onClose(() => {
      sub.dispose();
      owned.delete(id);
    });
    owned.set(id, { sub, connectionId: ctx.connectionId, closeHook });
    ctx.afterReply(() => sub.start());
    return { subscriptionId: id, epoch: hub.epoch, seq: sub.openingSeq };
  });

  const unsubscribe = rpc.handle(EventsUnsubscribe, (p, ctx) => {
    const entry = owned.get(p.subscriptionId);
    if (!entry || entry.connectionId !== ctx.connectionId) return { unsubscribed: false };
    entry.sub.dispose();
    entry.closeHook.dispose();
    owned.delete(p.subscriptionId);
    return { unsubscribed: true };
  });

  return {
    dispose() {
      subscribe.dispose();
      unsubscribe.dispose();
      for (const { sub, closeHook } of owned.values()) {
        sub.dispose();
        closeHook.dispose();
      }
      owned.clear();
    },
  };
}
