// Cipher failures as AtsyncErrors, so the RPC layer hands them to apps with their code.
// Messages name the key and the problem, never a key, a plaintext or a ciphertext.
import { AtsyncError, type ErrorCode } from "../../shared/errors.js";

export function cipherError(code: ErrorCode, message: string): AtsyncError {
  return new AtsyncError(code, message);
}
