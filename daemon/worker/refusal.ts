// A change's failure as the user reads it: the atServer's code (`AT0003`) and its reason, redacted
// and bounded (a server may echo what it refused). The status's latest rejection and the lists of
// pending and rejected uploads (uploads.list) say it the same way.
import { redactText } from "../log/redact.js";

export function refusal(lastError: string | null): { code: string; reason: string } {
  const text = redactText(lastError ?? "no reason given").slice(0, 500);
  const m = /^(AT\d{4}):?\s*(.*)$/su.exec(text);
  return { code: m?.[1] ?? "", reason: m?.[2] || text };
}
