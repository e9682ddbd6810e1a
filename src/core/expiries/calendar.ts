import { CERT_SOON_DAYS } from "../../contract/catalog.ts";
import type { HostAnswer } from "../jobs/ask-hosts.ts";
import type { HostRecord } from "../ports/store.ts";
import { credentialsOf, type FailingGrant, failingGrantOf, type SharedToken, sharedTokens } from "./fleet-rows.ts";

/**
 * The fleet's expiry calendar (issue 42, item 3): what expires, when, as dates and fingerprints
 * only, never a value. From each host's answer to one job (`gateway.tls`, `gateway.ws`) and from
 * the control plane's own hosts table (when each agent enrolled).
 */

/** Entries this close (or past) are marked: the same line the triage's certificate rules draw. */
export const SOON_DAYS = CERT_SOON_DAYS;
const DAY_MS = 86_400_000;

export type ExpiryKind = "tls-certificate" | "model-credential";

export interface ExpiryEntry {
  host: string;
  kind: ExpiryKind;
  /** What expires: `gateway TLS certificate (CN=openclaw-gateway)`, `anthropic:default (oauth)`. */
  what: string;
  expiresAt: number;
  /** Days left, rounded up (2.9 days is "3 d"; 0 or less: expired, that many days ago). */
  daysLeft: number;
  /** Within SOON_DAYS, or expired. */
  soon: boolean;
  expired: boolean;
  /** The certificate's SHA-256 fingerprint (TLS only). */
  fingerprint?: string;
  /** An OAuth profile: OpenClaw refreshes its access token itself, so its date moves on its own. */
  refreshes?: boolean;
  /** What else is worth knowing: the served certificate is not the file's. */
  note?: string;
}

export interface ExpiryCalendar {
  generatedAt: number;
  /** Soonest first. */
  entries: ExpiryEntry[];
  /** Readings that gave no date: a certificate file that is not one, a handshake that failed. */
  problems: { host: string; what: string; error: string }[];
  /** Hosts whose agent did not answer (offline, no answer by the deadline, refused). */
  unanswered: { host: string; reason: string }[];
  /** Each enrolled agent's age, oldest first (its key has no expiry: the age says how long it has been trusted). */
  enrollments: { host: string; enrolledAt: number; ageDays: number }[];
  /** Chat bot credentials configured on more than one host (by fingerprint). */
  sharedTokens: SharedToken[];
  /** Watchers whose OAuth grant is refused (`invalid_grant`). */
  failingGrants: FailingGrant[];
}

/** One host's answer: its step results, or why there are none. */
export type { HostAnswer };

export function buildCalendar(
  hosts: readonly HostRecord[],
  answers: readonly HostAnswer[],
  now: number,
): ExpiryCalendar {
  const entries: ExpiryEntry[] = [];
  const problems: ExpiryCalendar["problems"] = [];
  const unanswered: ExpiryCalendar["unanswered"] = [];
  const credentials: ReturnType<typeof credentialsOf> = [];
  const failingGrants: FailingGrant[] = [];
  const entry = (e: Omit<ExpiryEntry, "daysLeft" | "soon" | "expired">): ExpiryEntry => {
    const daysLeft = Math.ceil((e.expiresAt - now) / DAY_MS) || 0;
    return { ...e, daysLeft, soon: e.expiresAt - now <= SOON_DAYS * DAY_MS, expired: e.expiresAt <= now };
  };
  for (const a of answers) {
    if ("unanswered" in a) {
      unanswered.push({ host: a.host, reason: a.unanswered });
      continue;
    }
    credentials.push(...credentialsOf(a.host, a.results));
    const grant = failingGrantOf(a.host, a.results);
    if (grant) failingGrants.push(grant);
    for (const r of a.results) {
      if (r.status !== "ok" || !r.data) {
        if (r.step === "gateway.tls" || r.step === "gateway.ws")
          problems.push({ host: a.host, what: r.step, error: r.error?.message ?? `${r.status}` });
        continue;
      }
      if (r.step === "gateway.tls") {
        const d = r.data;
        if (!d.enabled) continue;
        if (d.fileError) problems.push({ host: a.host, what: "gateway TLS certificate file", error: d.fileError });
        if (d.servedError && !d.file)
          problems.push({ host: a.host, what: "served TLS certificate", error: d.servedError });
        if (d.file) {
          const note =
            d.servedMatchesFile === false
              ? `the gateway serves another certificate (${d.served?.fingerprint256 ?? "?"}, until ${d.served?.notAfter ?? "?"}): it did not load the file (its 'TLS renewal' log line says why); a restart loads it only if the key matches it`
              : d.servedError
                ? `served certificate not read: ${d.servedError}`
                : undefined;
          entries.push(
            entry({
              host: a.host,
              kind: "tls-certificate",
              what: `gateway TLS certificate${d.file.subjectCN ? ` (CN=${d.file.subjectCN})` : ""}`,
              expiresAt: Date.parse(d.file.notAfter),
              fingerprint: d.file.fingerprint256,
              ...(note ? { note } : {}),
            }),
          );
        } else if (d.served) {
          entries.push(
            entry({
              host: a.host,
              kind: "tls-certificate",
              what: `served TLS certificate${d.served.subjectCN ? ` (CN=${d.served.subjectCN})` : ""}`,
              expiresAt: Date.parse(d.served.notAfter),
              fingerprint: d.served.fingerprint256,
              note: "its file could not be read",
            }),
          );
        }
      }
      if (r.step === "gateway.ws") {
        const models = r.data.modelsRpc;
        if (models && !models.ok && models.error)
          problems.push({ host: a.host, what: "model credentials", error: models.error.message });
        for (const p of models?.ok ? (models.providers ?? []) : []) {
          const profiles = (p.profiles ?? []).filter((x) => typeof x.expiresAt === "number");
          for (const prof of profiles)
            entries.push(
              entry({
                host: a.host,
                kind: "model-credential",
                what: `model credential ${prof.profileId} (${prof.type}, ${prof.status})`,
                expiresAt: prof.expiresAt as number,
                ...(prof.type === "oauth" ? { refreshes: true } : {}),
              }),
            );
          if (profiles.length === 0 && typeof p.expiresAt === "number")
            entries.push(
              entry({
                host: a.host,
                kind: "model-credential",
                what: `model credential ${p.provider} (${p.status})`,
                expiresAt: p.expiresAt,
              }),
            );
        }
      }
    }
  }
  entries.sort((a, b) => a.expiresAt - b.expiresAt || cmp(a.host, b.host) || cmp(a.what, b.what));
  const enrollments = hosts
    .filter((h) => h.revokedAt === null)
    .map((h) => ({ host: h.name, enrolledAt: h.enrolledAt, ageDays: Math.floor((now - h.enrolledAt) / DAY_MS) }))
    .sort((a, b) => a.enrolledAt - b.enrolledAt || cmp(a.host, b.host));
  return {
    generatedAt: now,
    entries,
    problems,
    unanswered,
    enrollments,
    sharedTokens: sharedTokens(credentials),
    failingGrants: failingGrants.sort((a, b) => cmp(a.host, b.host)),
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
