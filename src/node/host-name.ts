import { hostname } from "node:os";

/** `node-3.example.com` → `node-3`; anything unusable → `local`. */
export function localHostName(raw = hostname()): string {
  const first = raw.toLowerCase().split(".")[0] ?? "";
  const cleaned = first
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return cleaned || "local";
}
