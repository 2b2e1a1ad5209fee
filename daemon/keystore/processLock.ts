// Read-modify-write of one backing store (a key file, a keychain service's index) must not
// interleave, whichever store instance does it: two instances over one file would otherwise
// each read the old state and the second write would drop the first one's change. The queue
// is per process by nature, so it lives at module level, keyed by the backing's name.
// Across processes there is no lock: atsyncd has one writer (the daemon; the CLI asks it over
// RPC), and two processes writing at the same moment can lose one of the two updates.

const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for `backing` in this process has settled. */
export function withProcessLock<T>(backing: string, fn: () => Promise<T>): Promise<T> {
  const run = (tails.get(backing) ?? Promise.resolve()).then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  tails.set(backing, tail);
  void tail.then(() => {
    if (tails.get(backing) === tail) tails.delete(backing);
  });
  return run;
}
