import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * Chat channels that look connected and are not (issue 30, classes 1–3). Sources, OpenClaw
 * 2026.9.6: `channels.status` account snapshots (lifecycle, connected, lastTransportActivityAt,
 * lastInboundAt, reconnectAttempts: captured on the real gateway with a Telegram account), the
 * health policy (dist channel-health-policy-*.mjs: a connected socket is `stale-socket` only after
 * 30 min without transport activity), the channel manager (server-channels-*.mjs: `auto-restart
 * attempt n/10`, `giving up after 10 restart attempts`), the health monitor (every 300 s, at most
 * 10 restarts an hour) and the Telegram poller (monitor-polling.runtime-*.mjs: 409 → `Telegram
 * getUpdates conflict`, 120 s without a completed getUpdates → `Polling stall detected`).
 */

type Account = NonNullable<NonNullable<NonNullable<Evidence["gateway.ws"]>["channelsRpc"]>["accounts"]>[number];

/** A long-polling or socket account with no transport activity this long, while "connected", is silent. */
const ZOMBIE_IDLE_MIN = 10;
/** Restarts of one gateway's channels within an hour that make a storm. */
const STORM_RESTARTS = 3;
const HOUR_MS = 3_600_000;

const accountsOf = (e: Evidence): Account[] =>
  e["gateway.ws"]?.channelsRpc?.ok ? (e["gateway.ws"]?.channelsRpc?.accounts ?? []) : [];

/** Connected by its own account, not webhook-driven (a webhook account is quiet when nobody writes). */
function silentConnected(a: Account): boolean {
  return (
    a.enabled !== false &&
    a.configured !== false &&
    a.running !== false &&
    a.connected === true &&
    a.mode !== "webhook" &&
    (a.transportIdleMin ?? 0) >= ZOMBIE_IDLE_MIN
  );
}

const inboundText = (a: Account) =>
  a.inboundIdleMin !== undefined
    ? `last inbound message ${formatMinutes(a.inboundIdleMin)} ago`
    : a.noInboundYet
      ? "no inbound message since it started"
      : "last inbound unknown";

function formatMinutes(min: number): string {
  if (min < 120) return `${min} min`;
  if (min < 2880) return `${Math.round(min / 60)} h`;
  return `${Math.round(min / 1440)} d`;
}

/** The newest line of `kind` is within an hour of the newest line the log has (the log's "now"). */
function withinTheHour(e: Evidence, kind: Parameters<typeof logSignature>[1]): boolean {
  const at = timeOf(logSignature(e, kind)?.lastAt);
  const now = timeOf(e["logs.signatures"]?.newestAt);
  return at !== null && (now === null || now - at <= HOUR_MS);
}

const conflictText = /terminated by other getUpdates request|getUpdates conflict/;

export const FIELD_CHANNEL_RULES: readonly Rule[] = [
  {
    id: "channel-zombie",
    layer: "channels",
    severity: "fail",
    confidence: "medium",
    title: "A chat channel says it is connected but has received nothing for a long while (zombie)",
    explanation:
      "The gateway reports the account connected and healthy, but its transport (a long poll, a socket) has shown no " +
      "activity for at least 10 minutes, or the gateway keeps finding its poller stalled and restarting it. A Telegram " +
      "long poll completes at least every 30 s on a live account (seen on OpenClaw 2026.9.6), and the gateway's own " +
      "health policy calls a connected socket stale only after 30 minutes without traffic, so `channels status`, " +
      "/readyz and the health RPC stay green while messages go unanswered. Usual causes: a proxy or NAT that drops " +
      "long-lived connections silently, a socket the platform closed without a close frame, DNS or IPv6 trouble.",
    nextCommands: [
      "openclaw channels status --probe   # a live call to the platform for each account",
      "openclaw logs --limit 300 --plain | grep -i -e 'stall' -e 'health-monitor' -e <channel>",
      "openclaw gateway restart   # or restart only the channel: openclaw channels logout/login <channel>",
    ],
    falseGreen: (e) => {
      const silent = accountsOf(e).filter(silentConnected);
      if (silent.length === 0) return null;
      const ready = e["gateway.http"]?.readyz.status === 200 ? "; /readyz 200" : "";
      return `\`openclaw channels status\` shows ${silent.map((a) => `${a.channel}/${a.accountId}`).join(", ")} connected${healthStates(silent)} (the gateway calls a connected socket stale only after 30 min)${ready}`;
    },
    match(e) {
      const lines = accountsOf(e)
        .filter(silentConnected)
        .slice(0, 4)
        .map(
          (a) =>
            `channels.status: ${a.channel}/${a.accountId} connected, lifecycle ${a.lifecycle ?? "?"}, mode ${a.mode ?? "?"}, no transport activity for ≥ ${a.transportIdleMin} min, ${inboundText(a)}`,
        );
      // The poller stalled again and again since the gateway started: it recovers, then stalls.
      const stalls = newerThan(e, "polling-stall", ["gateway-ready"]) ? logSignature(e, "polling-stall") : undefined;
      const staleRestarts = logSignature(e, "health-monitor-restart")?.reasons?.["stale-socket"] ?? 0;
      if (stalls && stalls.count >= 2) lines.push(...quoteSignature(e, "polling-stall", 2));
      if (staleRestarts > 0 && newerThan(e, "health-monitor-restart", ["gateway-ready"]))
        lines.push(`gateway log: the health monitor restarted a channel ${staleRestarts}× for reason stale-socket`);
      return lines.length > 0 ? [...lines, ...lastReadyLine(e)] : null;
    },
  },
  {
    id: "channel-restart-storm",
    layer: "channels",
    severity: "warn",
    confidence: "high",
    title: "A chat channel keeps restarting while the gateway stays up",
    explanation:
      "The gateway restarted a channel account several times within the hour: its channel manager retries an account " +
      "that exits (`auto-restart attempt n/10`, 5 s doubling to 5 min, then `giving up after 10 restart attempts`), " +
      "and its health monitor restarts one it finds stuck, disconnected or stale (every 5 min, at most 10 an hour, then " +
      "`hit 10 restarts/hour limit`). The process, /healthz and the gateway's other layers stay fine; messages on that " +
      "account are lost or late between restarts. The first error of the cycle names the cause.",
    nextCommands: [
      "openclaw logs --limit 300 --plain | grep -e 'channel exited' -e 'auto-restart' -e 'health-monitor'",
      "openclaw channels status --probe",
      "fix what the first 'channel exited:' line names (token, network, proxy), then: openclaw gateway restart",
    ],
    falseGreen: (e) =>
      e["gateway.http"]?.healthz.status === 200 ? "/healthz 200 (the process is up; one of its channels is not)" : null,
    match(e) {
      const lines: string[] = [];
      for (const kind of ["channel-auto-restart", "health-monitor-restart"] as const) {
        const sig = logSignature(e, kind);
        if (sig && sig.count >= STORM_RESTARTS && newerThan(e, kind, ["gateway-ready"]) && withinTheHour(e, kind))
          lines.push(...quoteSignature(e, kind, 2));
      }
      for (const kind of ["channel-gave-up", "health-monitor-limit"] as const)
        if (newerThan(e, kind, ["gateway-ready"])) lines.push(...quoteSignature(e, kind, 1));
      for (const a of accountsOf(e))
        if ((a.reconnectAttempts ?? 0) >= STORM_RESTARTS)
          lines.push(
            `channels.status: ${a.channel}/${a.accountId} reconnectAttempts ${a.reconnectAttempts}${a.restartPending ? ", restart pending" : ""}${a.lastError ? ` — last error: ${a.lastError}` : ""}`,
          );
      if (lines.length === 0) return null;
      return [...lines, ...quoteSignature(e, "channel-exited", 1), ...lastReadyLine(e)];
    },
  },
  {
    id: "duplicate-poller",
    layer: "channels",
    severity: "fail",
    confidence: "high",
    title: "Another poller uses this Telegram bot token (409 Conflict)",
    explanation:
      "Telegram answers getUpdates with 409 'terminated by other getUpdates request': another process polls the same " +
      "bot token (a second gateway, on this host or another, an old script, a copy of the config). Telegram allows one " +
      "poller per token, so the two take turns: each loses updates, and the gateway keeps restarting its poller with a " +
      "growing delay. The gateway itself stays up.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep 'getUpdates conflict'",
      "find the other poller: other hosts with this bot token (clawops names enrolled ones), scripts, old containers",
      "stop it, or give each gateway its own bot (BotFather) or switch one to webhook mode",
    ],
    falseGreen: (e) =>
      e["gateway.http"]?.healthz.status === 200
        ? "/healthz 200 (the gateway is up; its poller is fighting another)"
        : null,
    match(e) {
      const lines: string[] = [];
      if (newerThan(e, "telegram-getupdates-conflict", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "telegram-getupdates-conflict", 2));
      for (const a of accountsOf(e))
        if (a.lastError && conflictText.test(a.lastError))
          lines.push(
            `channels.status: ${a.channel}/${a.accountId} connected ${a.connected ?? "?"} — last error: ${a.lastError}`,
          );
      if (lines.length === 0) return null;
      for (const s of e.fleet?.sharedCredentials ?? [])
        lines.push(
          `${s.channel}/${s.accountId} ${s.fingerprint} is also configured on ${s.hosts.join(", ")} (by fingerprint)`,
        );
      return [...lines, ...lastReadyLine(e)];
    },
  },
  {
    id: "bot-token-on-several-hosts",
    layer: "channels",
    severity: "warn",
    confidence: "high",
    title: "The same chat bot credential is configured on more than one enrolled host",
    explanation:
      "Another enrolled host's config names the same channel credential (compared by SHA-256 fingerprint; the token " +
      "never leaves either host). Two gateways on one bot compete for it: Telegram allows one getUpdates poller per " +
      "token and answers the other 409 Conflict, so both lose updates. A copied config or a migration that left the old " +
      "host running is the usual cause; it is fine only when one of them does not poll (webhook mode, or the account " +
      "disabled there).",
    nextCommands: [
      "openclaw config get channels   # on each host named: which account, which mode",
      "disable the account on the host that should not answer, or give it its own bot",
    ],
    match(e) {
      const shared = e.fleet?.sharedCredentials ?? [];
      if (shared.length === 0) return null;
      return shared.map(
        (s) => `${s.channel}/${s.accountId}: credential ${s.fingerprint} also configured on ${s.hosts.join(", ")}`,
      );
    },
  },
];

function healthStates(accounts: readonly Account[]): string {
  const states = [...new Set(accounts.map((a) => a.healthState).filter(Boolean))];
  return states.length > 0 ? ` and ${states.join("/")}` : "";
}
