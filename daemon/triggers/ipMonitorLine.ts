// Reads one line of `ip -o monitor address route link` and says whether it is a change worth
// reconnecting for. Loopback, local/broadcast/multicast routes and IPv6 link-local addresses
// churn without touching reachability, so they are ignored.

export interface NetworkChange {
  kind: "address" | "route" | "link";
  deleted: boolean;
  iface?: string;
}

const IGNORED_ROUTE_TYPES = new Set(["local", "broadcast", "multicast", "anycast"]);
const ROUTE_TYPES = new Set(["unicast", "unreachable", "prohibit", "blackhole", "throw"]);

function strip(line: string): { rest: string; deleted: boolean } {
  let rest = line.trim();
  // Newer iproute2 may prefix a group banner ("[ROUTE]") and/or a timestamp ("[2026-…]").
  while (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    if (end < 0) break;
    rest = rest.slice(end + 1).trimStart();
  }
  const deleted = rest.startsWith("Deleted ");
  if (deleted) rest = rest.slice("Deleted ".length).trimStart();
  return { rest, deleted };
}

export function parseIpMonitorLine(line: string): NetworkChange | null {
  const { rest, deleted } = strip(line);
  if (rest === "" || rest.startsWith("Timestamp:")) return null;

  const link = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+</u.exec(rest);
  if (link) {
    const iface = link[1] as string;
    return iface === "lo" ? null : { kind: "link", deleted, iface };
  }

  const addr = /^\d+:\s+(\S+)\s+(inet6?)\s+(\S+)/u.exec(rest);
  if (addr) {
    const iface = addr[1] as string;
    const address = (addr[3] as string).toLowerCase();
    if (iface === "lo" || address.startsWith("fe80:")) return null;
    return { kind: "address", deleted, iface };
  }

  // A route: [type] destination ... [dev IFACE] ... [table T] ...
  const tokens = rest.split(/\s+/u);
  const typed = ROUTE_TYPES.has(tokens[0] ?? "");
  if (IGNORED_ROUTE_TYPES.has(tokens[0] ?? "")) return null;
  const dest = (typed ? tokens[1] : tokens[0]) ?? "";
  if (!/^(default|[0-9a-f:.]+(\/\d+)?)$/iu.test(dest) || /^(fe80:|ff[0-9a-f]{2}:)/iu.test(dest)) return null;
  const after = (word: string): string | undefined => {
    const at = tokens.indexOf(word);
    return at >= 0 ? tokens[at + 1] : undefined;
  };
  if (after("table") === "local") return null;
  const iface = after("dev");
  if (iface === "lo") return null;
  return iface === undefined ? { kind: "route", deleted } : { kind: "route", deleted, iface };
}
