import type { StepResult } from "../../contract/catalog.ts";

/**
 * The calendar's rows that are not a date (issue 42, item 3): a chat bot credential configured
 * on more than one host, and a watcher's OAuth grant that Google refuses (`invalid_grant`). Both
 * from what the agent already sends: a credential as `sha256:<12 hex>` of its value (the value
 * never leaves the host: agent/probes/fingerprint.ts), the log as counted signature kinds.
 */

/** One credential, by fingerprint, on two or more hosts. */
export interface SharedToken {
  /** `sha256:<12 hex>`: the agent's fingerprint of the value, never the value. */
  fingerprint: string;
  /** The chat channel(s) naming it (`slack`, `telegram`). */
  channels: string[];
  /** The config setting holding it (`botToken`, `appToken`, `tokenFile`, `TELEGRAM_BOT_TOKEN`). */
  settings: string[];
  hosts: string[];
  /** `<host> <channel>/<account>`, each place it is configured. */
  accounts: string[];
}

/** A watcher whose grant fails: the Gmail watcher's start or renewal refused with `invalid_grant`. */
export interface FailingGrant {
  host: string;
  what: string;
  /** Lines with `invalid_grant` in the log window the agent read. */
  count: number;
  /** The newest such line's timestamp (ISO), when it had one. */
  lastAt?: string;
}

type Credential = { host: string; channel: string; accountId: string; setting: string; fingerprint: string };

/** The channel credentials each answering host's `gateway.vitals` named. */
export function credentialsOf(host: string, results: readonly StepResult[]): Credential[] {
  const out: Credential[] = [];
  for (const r of results)
    if (r.step === "gateway.vitals" && r.status === "ok" && r.data)
      for (const c of r.data.channelCredentials) out.push({ host, ...c });
  return out;
}

/** Credentials configured on more than one host, grouped by fingerprint. */
export function sharedTokens(credentials: readonly Credential[]): SharedToken[] {
  const by = new Map<string, Credential[]>();
  for (const c of credentials) by.set(c.fingerprint, [...(by.get(c.fingerprint) ?? []), c]);
  const out: SharedToken[] = [];
  for (const [fingerprint, list] of by) {
    const hosts = uniq(list.map((c) => c.host));
    if (hosts.length < 2) continue;
    out.push({
      fingerprint,
      channels: uniq(list.map((c) => c.channel)),
      settings: uniq(list.map((c) => c.setting)),
      hosts,
      accounts: uniq(list.map((c) => `${c.host} ${c.channel}/${c.accountId}`)),
    });
  }
  return out.sort((a, b) => b.hosts.length - a.hosts.length || cmp(a.fingerprint, b.fingerprint));
}

/**
 * The Gmail watcher's grant, from `logs.signatures`: `gmail-watch-failed` lines whose reason is
 * `invalid_grant` (gmail-watcher-*.mjs: `gog gmail watch start failed (code=…)` with gog's stderr
 * `oauth2: "invalid_grant"`), unless a later `watch started for …` shows a renewal that took.
 * A log another gateway wrote is not this host's.
 */
export function failingGrantOf(host: string, results: readonly StepResult[]): FailingGrant | null {
  for (const r of results) {
    if (r.step !== "logs.signatures" || r.status !== "ok" || !r.data) continue;
    if (r.data.attribution?.verdict === "other-gateway") return null;
    const failed = r.data.signatures.find((s) => s.kind === "gmail-watch-failed");
    const count = failed?.reasons?.invalid_grant ?? 0;
    if (!failed || count === 0) return null;
    const started = r.data.signatures.find((s) => s.kind === "gmail-watch-started");
    if (started?.lastAt && failed.lastAt && started.lastAt > failed.lastAt) return null;
    return {
      host,
      what: "Gmail watcher's Google OAuth grant (invalid_grant)",
      count,
      ...(failed.lastAt ? { lastAt: failed.lastAt } : {}),
    };
  }
  return null;
}

const uniq = (xs: readonly string[]) => [...new Set(xs)].sort(cmp);
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
