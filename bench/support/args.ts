// Command-line options of the sync benchmarks: `--name=value`, numbers checked.
export interface BenchArgs {
  /** Keys pulled over loopback (default 100,000). */
  loopKeys: number;
  /** Keys the engine pulls over the slow link (default 1,000,000). */
  wanKeys: number;
  /** Keys the SDK-style baseline pulls over the slow link (default 20,000: at ~1,000 keys/s, 20 s). */
  sdkKeys: number;
  /** One-way delay of the link in ms (default 10, a 20 ms round trip). */
  oneWayMs: number;
  /** Pull connections to try (default 1 and 3, the daemon's: its sync connection and two pull lanes). */
  lanes: number[];
  /** Which legs to run. */
  only: "loopback" | "wan" | undefined;
  /** `--baseline=off` skips the SDK-style baseline (to profile the engine alone). */
  baseline: boolean;
  /** Where the server process writes a CPU profile (`--server-prof=<dir>`). */
  serverProfDir: string | undefined;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const opts = new Map<string, string>();
  for (const a of argv) {
    const m = /^--([a-z-]+)=(.*)$/u.exec(a);
    if (!m || m[1] === undefined || m[2] === undefined) throw new Error(`unknown argument ${a} (use --name=value)`);
    opts.set(m[1], m[2]);
  }
  const num = (name: string, dflt: number): number => {
    const raw = opts.get(name);
    const v = raw === undefined ? dflt : Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
    return v;
  };
  const lanes = (opts.get("lanes") ?? "1,3").split(",").map(Number);
  if (lanes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("--lanes must list positive integers");
  const only = opts.get("only");
  if (only !== undefined && only !== "loopback" && only !== "wan") throw new Error("--only must be loopback or wan");
  const baseline = opts.get("baseline") ?? "on";
  if (baseline !== "on" && baseline !== "off") throw new Error("--baseline must be on or off");
  return {
    baseline: baseline === "on",
    loopKeys: num("loop-keys", 100_000),
    wanKeys: num("wan-keys", 1_000_000),
    sdkKeys: num("sdk-keys", 20_000),
    oneWayMs: num("one-way-ms", 10),
    lanes,
    only,
    serverProfDir: opts.get("server-prof"),
  };
}

/** The loopback and link atSigns (the emoji keeps every byte count honest). */
export const LOOP_ATSIGN = "@bench🛠";
export const WAN_ATSIGN = "@wan🛠";
/** The SDK-style baseline's atSign over the link: fewer keys than the engine's, or it would run for many minutes. */
export const SDK_WAN_ATSIGN = "@sdkwan🛠";

export function fills(args: BenchArgs): Record<string, number> {
  const out: Record<string, number> = {};
  if (args.only !== "wan") out[LOOP_ATSIGN] = args.loopKeys;
  if (args.only !== "loopback") {
    out[WAN_ATSIGN] = args.wanKeys;
    if (args.baseline) out[SDK_WAN_ATSIGN] = args.sdkKeys;
  }
  return out;
}
