import type { Evidence } from "./evidence.ts";
import { healthzGreen, joinGreens } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * What the running gateway could not load or do (issue 30, classes 15–18): plugins, provider
 * egress, a reverse proxy it refuses, other clients' device-token loops, pairings waiting for
 * approval, paired nodes gone, host exec denied. From the gateway's own RPCs over the agent's
 * session (`gateway.inventory`), doctor's findings and its log lines.
 */

const serving = (e: Evidence) => e["gateway.ws"]?.outcome === "hello-ok" || e["gateway.http"]?.healthz.status === 200;
const readyzGreen = (e: Evidence) => (e["gateway.http"]?.readyz.status === 200 ? "/readyz 200" : null);
/** A gateway that serves, whose health checks stay green while host exec is denied. */
const servingGreens = (e: Evidence) => (serving(e) ? joinGreens(healthzGreen(e), readyzGreen(e)) : null);

/** A device-token loop: at least this many refusals of one client. */
const LOOP_MIN_REFUSALS = 4;

const DEVICE_PAIRING_CHECK = "core/doctor/device-pairing";

export const FIELD_RUNTIME_RULES: readonly Rule[] = [
  {
    id: "host-exec-denied",
    layer: "policy",
    severity: "fail",
    confidence: "high",
    title: "Host exec is denied: the gateway cannot read its exec approvals",
    explanation:
      "The gateway keeps logging that its exec approvals state (kept in the shared SQLite state database) is unavailable " +
      "or malformed, and it fails closed: each host command an agent asks for while it cannot read them is denied. It " +
      "warns at most once a minute, so lines a minute apart, a malformed row or a database SQLite calls damaged mean " +
      "it is still failing. Chat still answers and every health check stays green; tools that run commands fail. The " +
      "cause is the state database (locked, damaged or unreadable), not the approvals policy.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep -i 'exec approvals'",
      "openclaw approvals get   # reads the same state",
      "ls -l <state dir>/state/   # openclaw.sqlite and its -wal/-shm",
    ],
    falseGreen: servingGreens,
    match(e) {
      if (execApprovalsFailures(e) !== "persistent") return null;
      return [...quoteSignature(e, "exec-approvals-unavailable", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "host-exec-denied-once",
    layer: "policy",
    severity: "warn",
    confidence: "medium",
    title: "The gateway failed to read its exec approvals once since its start: host exec was denied then",
    explanation:
      "The gateway logged once since its last start that its exec approvals state (in the shared SQLite state database) " +
      "was unavailable, and denied host exec for that read: it fails closed per read. One line is one failed read (seen " +
      "on a loaded host shortly after a start) and it may have passed: a busy database (`database is locked`, the error " +
      "the line quotes when it gives one) answers a later read. The gateway warns at most once a minute, so a second " +
      "line a minute later would mean it is still failing.",
    nextCommands: [
      "openclaw approvals get   # reads the same state: answers when it passed",
      "openclaw logs --limit 200 --plain | grep -i 'exec approvals'",
    ],
    falseGreen: servingGreens,
    match(e) {
      if (execApprovalsFailures(e) !== "once") return null;
      return [...quoteSignature(e, "exec-approvals-unavailable", 1), ...lastReadyLine(e)];
    },
  },
  {
    id: "plugins-not-loaded",
    layer: "config",
    severity: "warn",
    confidence: "high",
    title: "Plugins the config names did not load",
    explanation:
      "The gateway reports plugins that failed to load or are unavailable, or a configured plugin entry it ignores " +
      "('plugin not found: … stale config entry ignored'). The gateway runs without them and says nothing in its health " +
      "checks: their tools, channels or model providers are simply missing. A package removed by an upgrade, an entry " +
      "left behind after an uninstall, or a plugin whose own config does not validate are the usual causes.",
    nextCommands: [
      "openclaw plugins list",
      "openclaw config get plugins.entries",
      "openclaw logs --limit 200 --plain | grep '\\[plugins\\]'",
      "openclaw doctor --lint --json",
    ],
    match(e) {
      const inv = e["gateway.inventory"];
      const lines: string[] = [];
      for (const x of inv?.plugins?.errors ?? []) lines.push(`health.plugins.errors: ${x}`);
      for (const x of inv?.plugins?.unavailable ?? []) lines.push(`health.plugins.unavailable: ${x}`);
      for (const w of (inv?.configWarnings ?? []).filter((x) => /plugin not found: /.test(x)))
        lines.push(`config.get warning: ${w}`);
      if (newerThan(e, "plugin-load-failed", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "plugin-load-failed", 2));
      if (lines.length > 0 && inv?.plugins) lines.push(`loaded: ${inv.plugins.loaded.length} plugin(s)`);
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "provider-egress-failing",
    layer: "model_routing",
    severity: "warn",
    confidence: "high",
    title: "Calls to model providers fail on the network (DNS, refused, reset, proxy)",
    explanation:
      "Since its last start the gateway logged provider calls lost on the network ('[model-fetch] error … causeCode=…'): " +
      "a DNS lookup that failed (EAI_AGAIN, ENOTFOUND), a connection refused or reset, a timeout, a certificate rejected. " +
      "The gateway answers its clients; agent turns on those providers fail or fall back. Proxy variables the gateway got " +
      "(which may differ from a shell's) are listed when it has any.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep 'model-fetch'",
      "curl -sS -m 5 -o /dev/null -w '%{http_code}\\n' <provider base URL>   # as the gateway's user, with its proxy variables",
      "openclaw models status",
    ],
    match(e) {
      if (!newerThan(e, "provider-egress-failed", ["gateway-ready"])) return null;
      const proxies = (e["gateway.env"]?.proxies.process ?? []).map((p) => `gateway ${p.name}=${p.target ?? "?"}`);
      return [...quoteSignature(e, "provider-egress-failed", 2), ...proxies, ...lastReadyLine(e)];
    },
  },
  {
    id: "reverse-proxy-untrusted",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "A reverse proxy forwards clients the gateway does not trust",
    explanation:
      "The gateway saw proxy-shaped traffic (X-Forwarded-For and similar headers) from an address gateway.trustedProxies " +
      "does not name, and its authenticated routes refuse it (HTTP 403 proxy_attribution_required before the WebSocket " +
      "upgrade). Clients behind that proxy fail while direct ones work: intermittent success, bulk failure. A proxy that " +
      "also keeps idle upstream connections longer than the gateway does hands clients dead connections (the seed's " +
      "stale proxy connections): check its idle timeout too.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep 'proxy-shaped traffic'",
      "openclaw config get gateway.trustedProxies",
      "openclaw config set gateway.trustedProxies '[\"<proxy address>\"]'   # narrowly, and have the proxy overwrite forwarded headers",
    ],
    match(e) {
      if (!newerThan(e, "proxy-shaped-traffic", ["gateway-ready"])) return null;
      return [...quoteSignature(e, "proxy-shaped-traffic", 2), ...lastReadyLine(e)];
    },
  },
  {
    id: "device-token-loop",
    layer: "auth",
    severity: "warn",
    confidence: "high",
    title: "Another client keeps retrying with a device token the gateway refuses",
    explanation:
      "The gateway refused the same client again and again with device_token_mismatch since its last start: a paired " +
      "app, node or dashboard holds a device token the gateway no longer accepts (rotated, revoked, or the state was " +
      "restored) and retries in a loop. Each refusal is also an auth failure that slows that address's next attempts. " +
      "The agent's own session is not affected; that client gets nothing until its token is reissued.",
    nextCommands: [
      "openclaw logs --limit 200 --plain | grep device_token_mismatch   # client= and remote=",
      "openclaw devices list",
      "openclaw devices rotate --device <deviceId> --role operator   # or re-pair that client",
    ],
    match(e) {
      const sig = logSignature(e, "device-token-mismatch");
      if (!sig || !newerThan(e, "device-token-mismatch", ["gateway-ready"])) return null;
      const loops = Object.entries(sig.reasons ?? {}).filter(([, n]) => n >= LOOP_MIN_REFUSALS);
      if (loops.length === 0) return null;
      const first = timeOf(sig.firstAt);
      const last = timeOf(sig.lastAt);
      const span = first !== null && last !== null ? (last - first) / 1000 : null;
      const cadence =
        span !== null && sig.count > 1
          ? ` between ${sig.firstAt} and ${sig.lastAt}, one every ~${Math.max(1, Math.round(span / (sig.count - 1)))} s`
          : "";
      return [
        ...loops.map(([client, n]) => `client ${client}: refused ${n} times with device_token_mismatch${cadence}`),
        ...sig.examples.slice(-1).map((x) => `log: ${x}`),
      ];
    },
  },
  {
    id: "pairing-repair-pending",
    layer: "auth",
    severity: "warn",
    confidence: "high",
    title: "Device pairings or repairs wait for approval",
    explanation:
      "Doctor reports pairing requests nobody approved: a first-time pairing, a repair of a device that is already " +
      "paired but needs a new approval, or a role or scope upgrade. Until approved, that client is refused " +
      "(pairing-required) and typically retries in a loop; loopback clients are approved on their own, so these come " +
      "from other hosts.",
    nextCommands: ["openclaw devices list", "openclaw devices approve <requestId>", "openclaw doctor --lint --json"],
    match(e) {
      const pending = (e["doctor.lint"]?.findings ?? []).filter(
        (f) => f.checkId === DEVICE_PAIRING_CHECK && (f.path === "devices.pending" || /^Pending /.test(f.message)),
      );
      const lines = pending.slice(0, 4).map((f) => `doctor --lint: ${f.message}`);
      if (newerThan(e, "pairing-requested", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "pairing-requested", 1));
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "node-paired-disconnected",
    layer: "transport",
    severity: "warn",
    confidence: "medium",
    title: "A paired node is not connected: the tools it provides are unavailable",
    explanation:
      "The gateway's node list has paired companion devices (a Mac, a phone, a headless node host) that are not " +
      "connected now. Tools and commands routed to them (screen, camera, location, system.run on that host) fail, while " +
      "the gateway answers its own clients. A node asleep, offline, or refused at reconnect (see device-token findings) looks " +
      "like this.",
    nextCommands: ["openclaw nodes status", "openclaw nodes describe --node <id>", "openclaw devices list"],
    match(e) {
      const nodes = (e["gateway.inventory"]?.nodes ?? []).filter((n) => n.paired === true && n.connected === false);
      if (nodes.length === 0) return null;
      return nodes
        .slice(0, 5)
        .map(
          (n) =>
            `node.list: ${n.name ? `${n.name} (${n.id})` : n.id} paired, not connected${n.lastSeenAtMs ? `, last seen ${new Date(n.lastSeenAtMs).toISOString()}` : ""}`,
        );
    },
  },
];

/**
 * SQLite's own words for a state database that is damaged rather than busy (`database disk image is
 * malformed`, SQLITE_CORRUPT; `file is not a database`, SQLITE_NOTADB), and OpenClaw's for a
 * malformed row, as the agent reports them in the signature's reasons (the log line's error).
 */
const DAMAGED_STATE = /row is malformed|database disk image is malformed|file is not a database/;

/**
 * The gateway's exec-approvals failures since its last start (infra/exec-approvals: it fails closed
 * per read and warns at most once a minute): "persistent" for a malformed row, a damaged database
 * or more than one warning since the start (reads failing a minute apart), "once" for a single
 * unavailable read (a busy database, or an error the line does not give).
 */
function execApprovalsFailures(e: Evidence): "persistent" | "once" | null {
  if (!newerThan(e, "exec-approvals-unavailable", ["gateway-ready"])) return null;
  const sig = logSignature(e, "exec-approvals-unavailable");
  if (!sig) return null;
  // A malformed row, or a read SQLite refused for a damaged file: neither passes with a retry.
  if (Object.keys(sig.reasons ?? {}).some((r) => DAMAGED_STATE.test(r))) return "persistent";
  // Every counted line is since the start only when the oldest one is; else one is known to be.
  const readyAt = timeOf(logSignature(e, "gateway-ready")?.lastAt);
  const firstAt = timeOf(sig.firstAt);
  const sinceStart = readyAt === null || (firstAt !== null && firstAt > readyAt) ? sig.count : 1;
  return sinceStart > 1 ? "persistent" : "once";
}
