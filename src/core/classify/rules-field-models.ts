import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature } from "./log-evidence.ts";

/**
 * Model credentials and provider cooldowns (issue 30, classes 4–5). Sources, OpenClaw 2026.9.6:
 * `models.authStatus` (captured on the real gateway: a `token` profile pasted with
 * `--expires-in 48h` reads status `ok`, expiry 2 d), auth-health-*.mjs (a token says `expiring`
 * only within 24 h; an OAuth profile with a refresh token within 5 min, since OpenClaw refreshes
 * it), the refresh failures (`OAuth token refresh failed for <provider>: …`, classified
 * `refresh_token_reused`, `refresh_token_expired`, `token_expired`), and the model fallback runner
 * (`Provider <p> is in cooldown`, `All models failed (<n>): <provider>/<model>: <error> (<reason>) | …`).
 */

const HOUR_MS = 3_600_000;
const EXPIRY_WINDOW_H = 72;

type Provider = NonNullable<NonNullable<NonNullable<Evidence["gateway.ws"]>["modelsRpc"]>["providers"]>[number];

const providersOf = (e: Evidence): Provider[] =>
  e["gateway.ws"]?.modelsRpc?.ok ? (e["gateway.ws"]?.modelsRpc?.providers ?? []) : [];

/** Providers named in the newest refresh-failure lines (`… refresh failed for anthropic: …`). */
function refreshFailedProviders(e: Evidence): string[] {
  const examples = logSignature(e, "oauth-refresh-failed")?.examples ?? [];
  return [...new Set(examples.flatMap((x) => /refresh failed for ([\w.-]+)/.exec(x)?.[1] ?? []))];
}

/** The fallbacks this config names (`agents.*.model.fallbacks`). */
const fallbacksOf = (e: Evidence) => (e.config?.modelRefs ?? []).filter((r) => r.source.endsWith(".model.fallbacks"));

/** `All models failed (2): a/m: err (rate_limit) | b/n: Provider b is in cooldown (rate_limit)` → its attempts. */
export function failedAttempts(line: string): { count: number; attempts: string[] } | null {
  const m = /All models failed \((\d+)\): (.*)$/.exec(line);
  if (!m?.[1] || m[2] === undefined) return null;
  return { count: Number(m[1]), attempts: m[2].split(" | ").map((a) => a.trim()) };
}

export const FIELD_MODEL_RULES: readonly Rule[] = [
  {
    id: "model-auth-refresh-failing",
    layer: "model_routing",
    severity: "fail",
    confidence: "high",
    title: "A model provider's OAuth refresh is failing",
    explanation:
      "The gateway could not refresh a provider's OAuth credential since it started (`OAuth token refresh failed`, " +
      "classified refresh_token_reused, refresh_token_expired or token_expired). refresh_token_reused means another " +
      "process refreshed the same sign-in first (a second gateway or CLI sharing the auth profile); expired means the " +
      "sign-in must be done again. Agent turns on that provider fail once the current access token runs out, while " +
      "`models status` keeps reading the stored expiry and can say ok.",
    nextCommands: [
      "openclaw models status",
      "openclaw logs --limit 200 --plain | grep -i 'refresh failed'",
      "openclaw models auth login --provider <provider>   # sign in again; stop other gateways sharing the profile",
    ],
    falseGreen: (e) => {
      const ok = providersOf(e).filter(
        (p) => refreshFailedProviders(e).includes(p.provider) && (p.status === "ok" || p.status === "static"),
      );
      return ok.length > 0
        ? `models.authStatus (what \`openclaw models status\` shows) says ${ok.map((p) => `${p.provider} ${p.status}`).join(", ")}`
        : null;
    },
    match(e) {
      if (!newerThan(e, "oauth-refresh-failed", ["gateway-ready"])) return null;
      const failing = new Set(refreshFailedProviders(e));
      const status = providersOf(e)
        .filter((p) => failing.has(p.provider))
        .map((p) => `models.authStatus: ${p.provider} ${p.status}`);
      return [...quoteSignature(e, "oauth-refresh-failed", 2), ...status, ...lastReadyLine(e)];
    },
  },
  {
    id: "model-auth-expiring",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "A model credential expires within 72 hours",
    explanation:
      "An auth profile the gateway holds expires within three days and will not renew itself: a pasted or setup token " +
      "(type token), which OpenClaw cannot refresh, or an OAuth profile the gateway already reports as expiring. " +
      "`openclaw models status` says ok until the last 24 hours of a token; after the expiry every agent turn on that " +
      "provider fails with an authentication error. Only expiry times are read, never the credential.",
    nextCommands: [
      "openclaw models status",
      "openclaw models auth setup-token --provider <provider>   # or paste-token with a new --expires-in",
    ],
    falseGreen: (e) => {
      const ok = expiringProfiles(e).filter((x) => x.profile.status === "ok");
      return ok.length > 0
        ? `models.authStatus (what \`openclaw models status\` shows) says ${ok.map((x) => `${x.profile.profileId} ok`).join(", ")} (it warns only in a token's last 24 h)`
        : null;
    },
    match(e) {
      const list = expiringProfiles(e);
      if (list.length === 0) return null;
      return list.map(
        (x) =>
          `models.authStatus: ${x.provider} profile ${x.profile.profileId} (${x.profile.type}) status ${x.profile.status}, expires in ${x.hours < 1 ? "under an hour" : `${Math.floor(x.hours)} h`}`,
      );
    },
  },
  {
    id: "all-models-failed",
    layer: "model_routing",
    severity: "fail",
    confidence: "high",
    title: "Agent turns fail: every model, fallbacks included, failed or was in cooldown",
    explanation:
      "An agent turn ended with 'All models failed': the primary model and each fallback the config names failed, or " +
      "were skipped because their provider is in cooldown after rate limits or errors. The user gets no answer; the " +
      "gateway, its channels and its health checks all stay green. Each attempt in the line names its provider and " +
      "reason: rate_limit and overloaded pass with time (the cooldown ends by itself), auth or billing do not.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep -e 'All models failed' -e 'in cooldown'",
      "openclaw models status",
      "openclaw config get agents.defaults.model   # primary and fallbacks",
    ],
    falseGreen: (e) =>
      e["gateway.http"]?.readyz.status === 200 ? "/readyz 200 (the gateway is ready; no model answers)" : null,
    match(e) {
      if (!newerThan(e, "all-models-failed", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "all-models-failed", 2), ...fallbackLines(e), ...lastReadyLine(e)];
    },
  },
  {
    id: "provider-cooldown",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "A model provider is in cooldown: its models are skipped",
    explanation:
      "The gateway put a provider in cooldown after rate limits or errors (`Provider <p> is in cooldown`) and skips " +
      "its models until the cooldown ends. With a fallback on another provider, turns still get an answer from it; " +
      "without one, they fail. Whether fallbacks are configured, and whether they were tried, is said below.",
    nextCommands: [
      "openclaw models status",
      "openclaw config get agents.defaults.model   # add a fallback on another provider",
      "openclaw logs --limit 200 --plain | grep 'in cooldown'",
    ],
    match(e) {
      if (!newerThan(e, "model-cooldown", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "model-cooldown", 2), ...fallbackLines(e), ...lastReadyLine(e)];
    },
  },
];

/** Tokens (and OAuth profiles the gateway already calls expiring) that run out within 72 h. */
function expiringProfiles(e: Evidence) {
  const now = e["gateway.ws"]?.modelsRpc?.ts;
  if (now === undefined) return [];
  const out: { provider: string; profile: NonNullable<Provider["profiles"]>[number]; hours: number }[] = [];
  for (const p of providersOf(e))
    for (const profile of p.profiles ?? []) {
      if (profile.expiresAt === undefined) continue;
      const hours = (profile.expiresAt - now) / HOUR_MS;
      const wontRenew = profile.type === "token" || profile.status === "expiring";
      if (hours > 0 && hours <= EXPIRY_WINDOW_H && wontRenew) out.push({ provider: p.provider, profile, hours });
    }
  return out.sort((a, b) => a.hours - b.hours).slice(0, 5);
}

/** Whether the config names fallbacks, and what the newest failure says was tried. */
function fallbackLines(e: Evidence): string[] {
  const fallbacks = fallbacksOf(e);
  const lines = [
    fallbacks.length > 0
      ? `fallbacks configured: ${fallbacks.map((f) => `${f.ref} (${f.source})`).join(", ")}`
      : e.config?.modelRefs
        ? "no fallback model configured (agents.*.model.fallbacks is empty)"
        : "fallbacks: the config could not be read",
  ];
  const newest = logSignature(e, "all-models-failed")?.examples.at(-1);
  const attempts = newest ? failedAttempts(newest) : null;
  if (attempts) {
    const skipped = attempts.attempts.filter((a) => /is in cooldown/.test(a)).length;
    lines.push(
      `newest failure: ${attempts.count} model(s) in the chain, ${attempts.count - skipped} tried, ${skipped} skipped in cooldown`,
    );
  }
  return lines;
}
