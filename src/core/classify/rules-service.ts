import type { ServiceStateData } from "../../contract/catalog.ts";
import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature } from "./log-evidence.ts";
import { notServing } from "./rules-logs.ts";

/**
 * Crash loops, handshake noise in the log, and policy that got stricter. Signatures from
 * GATEWAY-FACTS §4.3 (close 1000 with an empty reason = handshake timeout or a non-JSON frame)
 * and §6 (every failed start logs `Gateway failed to start: …`).
 */

/** Policy keys that silently drop messages when tightened (seeds: dmPolicy, allowlists, networkPolicy). */
const POLICY_WORDS = /\b(dmPolicy|groupPolicy|allowFrom|groupAllowFrom|allowlist|networkPolicy)\b/;

export const SERVICE_RULES: readonly Rule[] = [
  {
    id: "gateway-crash-loop",
    layer: "service",
    severity: "fail",
    confidence: "high",
    title: "Gateway is crash-looping: it keeps failing to start",
    explanation:
      "The log holds repeated 'Gateway failed to start' lines newer than the last time the gateway became ready, and the " +
      "gateway does not serve now. A supervisor (systemd, launchd, Docker restart policy) keeps restarting a gateway that " +
      "refuses every time, so status flips between 'activating' and 'stopped'. The first failure line names the cause " +
      "(exit 78 = config refusal, exit 1 = port taken); restarting again is unlikely to help until that is fixed.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # the first 'Gateway failed to start' line",
      "systemctl --user status openclaw-gateway   # or: journalctl -u <unit> -n 100 / docker compose logs",
      "openclaw doctor --lint --json",
      "openclaw gateway stop   # stop the loop while you fix the cause",
    ],
    falseGreen: (e) =>
      e["gateway.status"]?.json?.serviceLoaded ? "the service is loaded/enabled, so the supervisor looks fine" : null,
    match(e) {
      const sig = logSignature(e, "start-failed");
      if (!sig || sig.count < 2 || !notServing(e) || !newerThan(e, "start-failed", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "start-failed", 3), ...lastReadyLine(e)];
    },
  },
];

/** What an exit of the gateway's main process means (GATEWAY-FACTS §2, §6). */
export function exitMeaning(exit: NonNullable<NonNullable<ServiceStateData["state"]>["lastExit"]>): string {
  if (exit.signal === "SIGKILL" || exit.code === 137)
    return "killed with SIGKILL (exit 137): the OOM killer, a memory limit or kill -9";
  if (exit.signal) return `killed by ${exit.signal}`;
  switch (exit.code) {
    case 78:
      return "exit 78: the gateway refused its config (failed start-up migrations, non-loopback bind without auth, missing gateway.mode, state owned by another process)";
    case 1:
      return "exit 1: start failed, usually the port is taken (EADDRINUSE: another gateway or another program)";
    case 0:
      return "exit 0: it stopped cleanly (SIGTERM or `openclaw gateway stop`)";
    default:
      return `exit ${exit.code}`;
  }
}

/** One line quoting what the service manager said, for evidence. */
function managerLine(sv: ServiceStateData): string {
  const st = sv.state;
  if (!st) return `${sv.unit ?? sv.supervisor}: state unknown`;
  const exit = st.lastExit ? `, last exit ${st.lastExit.signal ?? st.lastExit.code}` : "";
  return `${sv.command ?? sv.supervisor} → ${sv.unit ?? ""}: ${st.active}${st.sub ? `/${st.sub}` : ""}, restarts ${st.restarts ?? "?"}, main pid ${st.mainPid ?? "none"}${exit}${st.result ? `, result ${st.result}` : ""}`;
}

const supervised = (e: Evidence) => {
  const sv = e["service.state"];
  return sv?.state && sv.supervisor !== "manual" && sv.supervisor !== "unknown" ? sv : null;
};
const notRunning = (st: NonNullable<ServiceStateData["state"]>) =>
  !/^(active|running)$/.test(st.active) || st.sub === "auto-restart" || st.sub === "restarting";

/** Rules on what systemd / launchd / the container engine says (the `service.state` step). */
export const SUPERVISOR_RULES: readonly Rule[] = [
  {
    id: "supervisor-restart-loop",
    layer: "service",
    severity: "fail",
    confidence: "high",
    title: "The service manager keeps restarting the gateway and it keeps dying",
    explanation:
      "The gateway's supervisor reports several restarts and the gateway is not running now: each start ends the same way, " +
      "and the supervisor starts it again. The last exit code says why (78 = the gateway refused its config, 1 = the port " +
      "is taken, SIGKILL/137 = killed, often for memory). Restarting again is unlikely to help; fix the cause first, or " +
      "stop the loop while you do.",
    nextCommands: [
      "journalctl --user -u openclaw-gateway -n 200 --no-pager   # or: docker compose logs --tail=200 gateway",
      "openclaw doctor --lint --json",
      "openclaw gateway stop   # stop the loop while you fix the cause",
    ],
    falseGreen: (e) =>
      e["gateway.status"]?.json?.serviceLoaded ? "`openclaw gateway status` shows the service loaded/enabled" : null,
    match(e) {
      const sv = supervised(e);
      const st = sv?.state;
      if (!sv || !st || (st.restarts ?? 0) < 3 || !notRunning(st)) return null;
      return [
        managerLine(sv),
        ...(st.lastExit ? [exitMeaning(st.lastExit)] : []),
        ...quoteSignature(e, "start-failed", 2),
      ];
    },
  },
  {
    id: "supervisor-unit-failed",
    layer: "service",
    severity: "fail",
    confidence: "high",
    title: "The gateway's service is down: its last start failed",
    explanation:
      "The supervisor shows the gateway stopped with a failing exit and not restarting it (few restarts, or none left). " +
      "Nothing serves clients until it is started again, and it is likely to fail the same way until the cause in the " +
      "last exit and the journal is fixed.",
    nextCommands: [
      "systemctl --user status openclaw-gateway   # or: docker ps -a / launchctl print gui/$UID/<label>",
      "journalctl --user -u openclaw-gateway -n 200 --no-pager",
      "openclaw doctor --lint --json",
    ],
    match(e) {
      const sv = supervised(e);
      const st = sv?.state;
      if (!sv || !st || (st.restarts ?? 0) >= 3 || !notRunning(st) || /^(activating|restarting)$/.test(st.active))
        return null;
      const exit = st.lastExit;
      if (!exit || (exit.code === 0 && !exit.signal)) return null;
      return [managerLine(sv), exitMeaning(exit), ...quoteSignature(e, "start-failed", 2)];
    },
  },
  {
    id: "supervisor-killed",
    layer: "service",
    severity: "warn",
    confidence: "medium",
    title: "The gateway was killed (SIGKILL / out of memory) and restarted",
    explanation:
      "The supervisor reports that the gateway's last main process was killed by SIGKILL or the OOM killer. The gateway " +
      "uses about 1 GB of memory; a tight MemoryMax, container memory limit or a busy host can kill it, and clients see " +
      "their connection drop while it restarts.",
    nextCommands: [
      "journalctl -k -n 50 | grep -i -e oom -e killed   # or: docker inspect <container> --format '{{.State.OOMKilled}}'",
      "systemctl --user show openclaw-gateway -p MemoryMax -p NRestarts",
      "openclaw status --all   # processMemory.rssBytes",
    ],
    match(e) {
      const sv = supervised(e);
      const st = sv?.state;
      if (!sv || !st) return null;
      const killed = st.lastExit?.signal === "SIGKILL" || st.lastExit?.code === 137 || /oom/.test(st.result ?? "");
      return killed && (st.restarts ?? 0) > 0
        ? [managerLine(sv), exitMeaning(st.lastExit ?? { code: 137, signal: null })]
        : null;
    },
  },
  {
    id: "supervisor-pid-mismatch",
    layer: "service",
    severity: "warn",
    confidence: "high",
    title: "The process on the gateway port is not the one the service manager runs",
    explanation:
      "The supervisor's main process and the process listening on the gateway port differ: a gateway started by hand " +
      "(or left over from before an upgrade) holds the port, while the service's own gateway fails to bind or runs for " +
      "another config. Restarting the service may not touch the process clients talk to, so fixes can seem to do nothing.",
    nextCommands: [
      "ss -ltnp | grep <port>   # which pid serves",
      "systemctl --user status openclaw-gateway   # which pid the unit runs",
      "openclaw gateway status --deep",
    ],
    match(e) {
      const sv = supervised(e);
      const st = sv?.state;
      if (!sv || !st || st.mainPid === null || sv.listenerPid === null || st.mainPid === sv.listenerPid) return null;
      // A container's Pid is in the host's pid namespace like the listener's; launchd/systemd likewise.
      return [
        managerLine(sv),
        `pid ${sv.listenerPid} listens on the gateway port, the supervisor's main pid is ${st.mainPid}`,
      ];
    },
  },
];

/** The gateway's own channel health verdicts that mean nobody on that account gets answers. */
const CHANNEL_DOWN_STATES = new Set([
  "not-running",
  "disconnected",
  "terminal-disconnect",
  "stuck",
  "blocked",
  "ingress-unavailable",
]);

/** Enabled, configured accounts the gateway itself reports as down. */
export function downChannelAccounts(e: Evidence) {
  const accounts = e["gateway.ws"]?.channelsRpc?.accounts ?? [];
  return accounts.filter(
    (a) =>
      a.enabled !== false &&
      a.configured !== false &&
      a.healthState !== undefined &&
      CHANNEL_DOWN_STATES.has(a.healthState),
  );
}

export const CHANNEL_RULES: readonly Rule[] = [
  {
    id: "channel-account-down",
    layer: "channels",
    severity: "fail",
    confidence: "high",
    title: "A chat channel account is down: its users get no answers",
    explanation:
      "The gateway is up and accepts clients, but it reports a configured channel account (Slack, Telegram, Discord …) " +
      "as not running, disconnected or stuck. Messages on that account are not received or not answered, while the " +
      "gateway's health and /readyz stay green. The account's last error usually names the cause: a revoked or rotated " +
      "bot token, a network or proxy block, or a platform-side ban.",
    nextCommands: [
      "openclaw channels status --probe   # live probe per account",
      "openclaw logs --limit 200 --plain | grep -i <channel>",
      "openclaw channels login <channel>   # or update the account's token, then: openclaw gateway restart",
    ],
    falseGreen: (e) =>
      e["gateway.http"]?.readyz?.status === 200 ? "/readyz 200 (the gateway is ready; a channel is not)" : null,
    match(e) {
      const down = downChannelAccounts(e);
      if (down.length === 0) return null;
      return down
        .slice(0, 4)
        .map(
          (a) =>
            `channels.status: ${a.channel}/${a.accountId} ${a.healthState}${a.running === false ? " (not running)" : ""}${a.lastError ? ` — last error: ${a.lastError}` : ""}`,
        );
    },
  },
];

export const SESSION_LOG_RULES: readonly Rule[] = [
  {
    id: "handshake-timeouts-in-logs",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "Clients open the WebSocket but never finish the handshake",
    explanation:
      "The gateway logged '[ws] handshake timeout' since its last start: a client opened the socket and sent no connect " +
      "within 15 s, and the gateway closed it 1000 with an empty reason. That client sees '1000' and thinks the close was " +
      "normal. Usual causes: a proxy that buffers frames, a port scanner or TCP health check, or a client stuck before connect.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # '[ws] handshake timeout conn=… phase=…' and the peer",
      "check reverse proxies / load balancers in front of the gateway (WebSocket upgrade, buffering)",
    ],
    match(e) {
      if (!newerThan(e, "handshake-timeout", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "handshake-timeout", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "frame-parse-errors-in-logs",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "A client sends frames that are not JSON (closed 1000, empty reason)",
    explanation:
      "The gateway logged 'parse/handle error' since its last start: a client sent a text frame that is not JSON, and the " +
      "gateway closed it 1000 with an empty reason, which that client reads as success. Something between client and " +
      "gateway rewrites frames, or a non-OpenClaw client talks to the port.",
    nextCommands: [
      "openclaw logs --limit 200 --plain   # '[gateway] parse/handle error: SyntaxError …'",
      "check what connects to the gateway port (proxies, scripts, old clients)",
    ],
    match(e) {
      if (!newerThan(e, "parse-error", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "parse-error", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "policy-tightened",
    layer: "policy",
    severity: "warn",
    confidence: "medium",
    title: "Channel policy blocks messages (dmPolicy / allowlists / networkPolicy)",
    explanation:
      "A channel policy now drops messages: doctor reports a dmPolicy/allowlist setting that blocks senders (for example " +
      'dmPolicy "allowlist" with an empty allowFrom blocks every DM), or heartbeats are skipped as dm-blocked. Messages ' +
      "can vanish without an error while the gateway answers its health checks, typically after an upgrade with " +
      "stricter defaults or a config edit.",
    nextCommands: [
      "openclaw doctor --lint --json",
      "openclaw config get channels   # dmPolicy, allowFrom, groupPolicy",
      "openclaw channels status --probe",
      "openclaw pairing list",
    ],
    falseGreen: (e) => (e["gateway.ws"]?.healthRpc?.ok ? "health RPC ok (channels connected)" : null),
    match(e) {
      const lines = (e["doctor.lint"]?.findings ?? [])
        .filter((f) => POLICY_WORDS.test(`${f.checkId} ${f.message} ${f.path ?? ""}`))
        .slice(0, 3)
        .map((f) => `doctor --lint: ${f.severity} ${f.checkId}: ${f.message}`);
      const dmBlocked = logSignature(e, "heartbeat-skipped")?.reasons?.["dm-blocked"];
      if (dmBlocked) lines.push(`gateway log: ${dmBlocked} heartbeat(s) skipped with reason=dm-blocked`);
      return lines.length > 0 ? lines : null;
    },
  },
];
