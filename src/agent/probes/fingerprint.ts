import { createHash } from "node:crypto";

/**
 * How a token is named off the host: `sha256:` + the first 12 hex chars of its SHA-256. Enough
 * to tell sources apart, far too short to brute-force a random token from.
 */
export function tokenFingerprint(token: string): string {
  return `sha256:${createHash("sha256").update(token, "utf8").digest("hex").slice(0, 12)}`;
}
