import type { LogSignatureKind } from "../../contract/catalog.ts";

/** One signature of the gateway log catalog (gateway-log-patterns*.ts), counted by log-signatures.ts. */
export type LogSignaturePattern = {
  kind: LogSignatureKind;
  pattern: RegExp;
  reason?: RegExp;
  /**
   * For lines that carry their error as structured context (log-signatures.ts, `detail`): its
   * capture is added to the reason in parentheses, and the examples quote the error.
   */
  detail?: RegExp;
  maxChars?: number;
};
