import type { EnvPresence } from "../../contract/catalog.ts";
import { tokenFingerprint } from "./fingerprint.ts";

/**
 * A variable as the agent may report it: its name, and for the proxy variables what they point at
 * (`scheme://host:port`, any `user:password@` dropped) plus a fingerprint, so the gateway's, its
 * unit's and the shell's can be compared. Other values never leave the host.
 */
export const PROXY_VARS = /^(https?_proxy|all_proxy|no_proxy)$/i;

export function envPresence(name: string, value: string): EnvPresence {
  if (!PROXY_VARS.test(name)) return { name };
  return { name, target: proxyTarget(name, value), fingerprint: tokenFingerprint(value) };
}

export function proxyTarget(name: string, value: string): string {
  if (/^no_proxy$/i.test(name)) return value.slice(0, 200);
  try {
    const u = new URL(value.includes("://") ? value : `http://${value}`);
    return `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ""}`;
  } catch {
    return "(not a URL)";
  }
}

/** The proxy variables of an environment, sorted by name. */
export function proxyPresences(env: Readonly<Record<string, string | undefined>> | undefined): EnvPresence[] {
  if (!env) return [];
  return Object.entries(env)
    .filter((e): e is [string, string] => PROXY_VARS.test(e[0]) && typeof e[1] === "string" && e[1] !== "")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => envPresence(name, value));
}
