// The AtsyncError a call throws; anything else it throws propagates, and no throw fails the test.
import { AtsyncError } from "../../shared/errors.js";

export function thrown(fn: () => unknown): AtsyncError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AtsyncError) return e;
    throw e;
  }
  throw new Error("expected a throw");
}
