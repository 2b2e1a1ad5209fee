// One request posted to a worker and not answered yet. It settles exactly once: by the
// worker's reply, by cancellation, or by the worker going away. Its cancellation hook is
// detached when it settles, so an answered request leaves nothing behind on the source.
import { isCancelSource, type Cancellation } from "./CancelSource.js";

export class PendingRequest {
  private readonly onCancel: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly resolveFn: (v: unknown) => void,
    private readonly rejectFn: (e: unknown) => void,
    private readonly source: Cancellation | undefined,
    cancelled: (p: PendingRequest) => void,
    /** The caller takes a result the worker serialized as it is (a RawJson), unparsed. */
    readonly raw = false,
  ) {
    if (source === undefined) return;
    this.onCancel = () => cancelled(this);
    if (isCancelSource(source)) source.onAbort(this.onCancel);
    else source.addEventListener("abort", this.onCancel, { once: true });
  }

  resolve(v: unknown): void {
    this.detach();
    this.resolveFn(v);
  }

  reject(e: unknown): void {
    this.detach();
    this.rejectFn(e);
  }

  private detach(): void {
    const s = this.source;
    const fn = this.onCancel;
    if (s === undefined || fn === undefined) return;
    if (isCancelSource(s)) s.offAbort(fn);
    else s.removeEventListener("abort", fn);
  }
}
