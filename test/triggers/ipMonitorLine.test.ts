import { expect } from "chai";
import { parseIpMonitorLine } from "../../daemon/triggers/ipMonitorLine.js";

// Real `ip -o monitor address route link` output (iproute2 6.x), one event per line.
const relevant: Array<[string, ReturnType<typeof parseIpMonitorLine>]> = [
  ["4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever", { kind: "address", deleted: false, iface: "eth0" }],
  ["Deleted 4: eth0    inet 192.0.2.2/24 brd 192.0.2.255 scope global eth0\\       valid_lft forever preferred_lft forever", { kind: "address", deleted: true, iface: "eth0" }],
  ["3: wlan0    inet6 2001:db8::5/64 scope global dynamic noprefixroute \\       valid_lft 86390sec preferred_lft 14390sec", { kind: "address", deleted: false, iface: "wlan0" }],
  ["default via 192.0.2.1 dev eth0 proto dhcp src 192.0.2.2 metric 100 ", { kind: "route", deleted: false, iface: "eth0" }],
  ["Deleted default via 192.0.2.1 dev eth0 proto dhcp metric 100 ", { kind: "route", deleted: true, iface: "eth0" }],
  ["192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 ", { kind: "route", deleted: false, iface: "eth0" }],
  ["unreachable 10.9.0.0/16 metric 1024", { kind: "route", deleted: false }],
  ["4: eth0: <NO-CARRIER,BROADCAST,MULTICAST,UP> mtu 1500 qdisc fq_codel state DOWN group default \\    link/ether 02:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff", { kind: "link", deleted: false, iface: "eth0" }],
  ["Deleted 7: veth1@if6: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN \\    link/ether 0a:00:00:00:00:02 brd ff:ff:ff:ff:ff:ff", { kind: "link", deleted: true, iface: "veth1" }],
  ["[ROUTE]default via 192.0.2.1 dev eth0 ", { kind: "route", deleted: false, iface: "eth0" }],
  ["[2026-11-22T18:00:00.000000] [LINK]4: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP", { kind: "link", deleted: false, iface: "eth0" }],
];

const noise = [
  "",
  "Timestamp: Sun Nov 22 18:00:00 2026 123456 usec",
  "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
  "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN",
  "4: eth0    inet6 fe80::fc:ff:fe00:1/64 scope link \\       valid_lft forever preferred_lft forever",
  "local 192.0.2.2 dev eth0 table local proto kernel scope host src 192.0.2.2 ",
  "broadcast 192.0.2.255 dev eth0 table local proto kernel scope link src 192.0.2.2 ",
  "multicast ff00::/8 dev eth0 table local proto kernel metric 256 pref medium",
  "fe80::/64 dev eth0 proto kernel metric 256 pref medium",
  "Deleted local ::1 dev lo table local proto kernel metric 0 pref medium",
  "127.0.0.0/8 dev lo scope host",
];

describe("parseIpMonitorLine", function () {
  for (const [line, want] of relevant) {
    it(`sees a change in ${JSON.stringify(line.slice(0, 48))}…`, function () {
      expect(parseIpMonitorLine(line)).to.deep.equal(want);
    });
  }
  it("ignores loopback, link-local, local-table routes, timestamps and blank lines", function () {
    for (const line of noise) expect(parseIpMonitorLine(line), line).to.equal(null);
  });
});
