import type { EnvPresence } from "../../contract/catalog.ts";
import type { Evidence } from "./evidence.ts";
import { healthzGreen } from "./false-greens.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, newerThan, quoteSignature, timeOf } from "./log-evidence.ts";

/**
 * What the supervisor would start and what environment the gateway got (issue 30, classes 12, 14,
 * 16): from `service.definition` (the unit file or plist and its drop-ins, read as files),
 * `gateway.env` (names the config reads, where each is found) and `gateway.inventory` (the
 * gateway's own config warnings). Names only, never values.
 */

const serving = (e: Evidence) => e["gateway.ws"]?.outcome === "hello-ok" || e["gateway.http"]?.healthz.status === 200;

function unitName(e: Evidence): string {
  const d = e["service.definition"];
  return d?.path ?? d?.unit ?? "the service definition";
}

/** The service would start an OpenClaw other than the installed CLI (or, without a CLI, the running one). */
export function otherVersionLines(e: Evidence): string[] | null {
  const d = e["service.definition"];
  const started = d?.openclaw?.version;
  if (!d || !started) return null;
  const cli = e.versions?.openclaw ?? null;
  const running = e["gateway.ws"]?.server?.version ?? null;
  const installed = cli ?? running;
  if (!installed || installed === started) return null;
  return [
    `${unitName(e)} starts OpenClaw ${started} (${d.openclaw?.root})`,
    ...(cli ? [`the openclaw CLI on this host is ${cli}`] : []),
    ...(running ? [`the running gateway is ${running}`] : []),
  ];
}

/** The service's start command names paths that are gone. */
export function brokenStartLines(e: Evidence): string[] | null {
  const d = e["service.definition"];
  if (!d?.missingPaths?.length) return null;
  return [
    ...d.missingPaths.map((p) => `${p}: no such file (the next start fails here)`),
    `${unitName(e)}: ExecStart ${(d.execStart ?? []).join(" ")}`,
  ];
}

const canonical = (name: string) => name.toLowerCase();

function proxyMap(list: readonly EnvPresence[] | undefined): Map<string, EnvPresence> {
  const m = new Map<string, EnvPresence>();
  for (const p of list ?? []) if (/proxy$/i.test(p.name)) m.set(canonical(p.name), p);
  return m;
}

function proxyDiff(a: Map<string, EnvPresence>, b: Map<string, EnvPresence>, aName: string, bName: string): string[] {
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const show = (p: EnvPresence | undefined) => (p ? `${p.name}=${p.target ?? "?"} (${p.fingerprint ?? "?"})` : "unset");
  return names
    .filter((n) => a.get(n)?.fingerprint !== b.get(n)?.fingerprint)
    .map((n) => `${n}: ${aName} ${show(a.get(n))}; ${bName} ${show(b.get(n))}`);
}

export const FIELD_SERVICE_RULES: readonly Rule[] = [
  {
    id: "service-start-broken",
    layer: "service",
    severity: "fail",
    confidence: "high",
    title: "The service's start command points at a path that is gone: the next restart will fail",
    explanation:
      "The gateway's service definition (its ExecStart after drop-ins, or the plist's ProgramArguments) runs a Node " +
      "runtime or an OpenClaw entry point that no longer exists: a Node version removed by a version manager, OpenClaw " +
      "reinstalled under another prefix. The gateway that is running now was started before, so every check is green " +
      "until it restarts (a crash, a reboot, an upgrade); then the supervisor cannot start it at all.",
    nextCommands: [
      "systemctl --user cat openclaw-gateway   # or: plutil -p ~/Library/LaunchAgents/<label>.plist",
      "openclaw gateway install --force   # rewrites the unit for the openclaw on PATH",
      "systemctl --user daemon-reload",
    ],
    falseGreen: (e) =>
      serving(e)
        ? `the running gateway answers (${healthzGreen(e) ?? "its session works"}), started before the path went away`
        : null,
    match: brokenStartLines,
  },
  {
    id: "service-runs-other-version",
    layer: "service",
    severity: "warn",
    confidence: "high",
    title: "The service would start another OpenClaw version than the one installed",
    explanation:
      "The start command in the gateway's service definition runs an OpenClaw package whose version differs from the " +
      "openclaw CLI on this host: an upgrade that installed the new version elsewhere (another prefix, a global and a " +
      "user install) without rewriting the unit. The next restart starts the version the unit names, not the one the " +
      "operator upgraded to, and the CLI and gateway then disagree.",
    nextCommands: [
      "systemctl --user cat openclaw-gateway   # ExecStart",
      "command -v openclaw && openclaw --version",
      "openclaw gateway install --force   # point the unit at the installed openclaw",
    ],
    match: otherVersionLines,
  },
  {
    id: "service-dropin-stale",
    layer: "service",
    severity: "warn",
    confidence: "medium",
    title: "A drop-in older than the unit overrides what the service runs",
    explanation:
      "A systemd drop-in (<unit>.d/*.conf) sets ExecStart, the environment or the working directory, and it is older " +
      "than the unit file: the unit was rewritten (by `openclaw gateway install` on an upgrade, for example) while the " +
      "drop-in kept its older values, which win. OpenClaw's doctor says of such drop-ins that rewriting the managed unit " +
      "cannot repair them. The next restart may run the drop-in's command or environment rather than the unit's.",
    nextCommands: [
      "systemctl --user cat openclaw-gateway   # the unit, then each drop-in",
      "update or remove the drop-in, then: systemctl --user daemon-reload",
    ],
    match(e) {
      const d = e["service.definition"];
      const unitAt = timeOf(d?.modifiedAt);
      if (!d?.dropIns || unitAt === null) return null;
      const stale = d.dropIns.filter((x) => x.overrides.length > 0 && (timeOf(x.modifiedAt) ?? unitAt) < unitAt);
      if (stale.length === 0) return null;
      return [
        `${d.path} written ${d.modifiedAt}`,
        ...stale.map((x) => `${x.path} written ${x.modifiedAt}, sets ${x.overrides.join(", ")}`),
      ];
    },
  },
  {
    id: "service-units-duplicated",
    layer: "service",
    severity: "warn",
    confidence: "high",
    title: "A user unit and a system unit for the gateway are both enabled",
    explanation:
      "OpenClaw's gateway is enabled both as a systemd system unit and as a user unit. At boot (and at the user's login) " +
      "both start: the second finds the port taken (EADDRINUSE, exit 1) or the state owned by the first (exit 78), and " +
      "restarting one does not touch the other, so a fix can seem to do nothing.",
    nextCommands: [
      "systemctl list-unit-files '*openclaw*'; systemctl --user list-unit-files '*openclaw*'",
      "disable the one you do not use: systemctl disable --now <unit>  (or systemctl --user disable --now <unit>)",
    ],
    match(e) {
      const enabled = e["service.definition"]?.enabled ?? [];
      const scopes = new Set(enabled.map((x) => x.scope));
      if (scopes.size < 2) return null;
      return enabled.map((x) => `${x.scope} unit ${x.unit} enabled (${x.link})`);
    },
  },
  {
    id: "secrets-env-missing",
    layer: "service",
    severity: "warn",
    confidence: "high",
    title: "Variables the config reads are missing from the gateway's environment",
    explanation:
      "The config reads variables (a $VAR substitution, in braces or not, or a SecretRef with source env) that the running gateway did not get: they " +
      "are not in its process environment, the state folder's .env, the working directory's .env or the config's env " +
      "block. Typically they were exported in an interactive shell and never reached the service manager (systemd and " +
      "launchd do not read shell profiles). OpenClaw starts anyway and says the feature using the value will be " +
      "unavailable: a provider, a channel or a tool fails later, far from the cause. Names only; values are never read.",
    nextCommands: [
      "systemctl --user show openclaw-gateway -p Environment   # what the unit hands the gateway",
      "put the variables in $OPENCLAW_STATE_DIR/.env (or the unit's Environment=/EnvironmentFile=)",
      "openclaw secrets reload   # or: openclaw gateway restart",
    ],
    falseGreen: (e) => (serving(e) ? healthzGreen(e) : null),
    match(e) {
      const env = e["gateway.env"];
      const lines: string[] = [];
      const unitNames = new Set((e["service.definition"]?.environment ?? []).map((x) => x.name));
      if (env && env.pid !== null && !env.processUnreadable) {
        for (const r of env.references) {
          if (r.foundIn.some((f) => f !== "agent-env")) continue;
          const extra = [
            ...(r.foundIn.includes("agent-env")
              ? ["the agent's own environment has it (a start from that shell would)"]
              : []),
            ...(unitNames.has(r.name)
              ? ["the service definition sets it now: the gateway was started before that change"]
              : []),
          ];
          lines.push(
            `${r.name} (read at ${r.at.join(", ")}): not in the running gateway's environment (pid ${env.pid}), a .env it loads, or the config's env block${extra.length ? `; ${extra.join("; ")}` : ""}`,
          );
        }
        if (lines.length > 0 && env.shellImport)
          lines.push("env.shellEnv is on: a login shell may supply some of these at start");
      }
      const warned = (e["gateway.inventory"]?.configWarnings ?? []).filter((w) => /Missing env var "/.test(w));
      lines.push(...warned.slice(0, 3).map((w) => `config.get warning: ${w}`));
      if (newerThan(e, "secret-unavailable", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "secret-unavailable", 2), ...lastReadyLine(e));
      return lines.length > 0 ? lines : null;
    },
  },
  {
    id: "proxy-env-differs",
    layer: "service",
    severity: "warn",
    confidence: "medium",
    title: "Proxy variables differ between the gateway, its service definition and the shell",
    explanation:
      "HTTP(S)_PROXY / ALL_PROXY / NO_PROXY are not the same for the running gateway as for its service definition or " +
      "the environment the agent runs in. Provider and channel calls from the gateway then leave another way than a " +
      "test from the shell (curl works, the gateway gets 'fetch failed'), or a unit edited since the start will change " +
      "the route at the next restart. Compared by target and fingerprint; credentials in a proxy URL are never shown.",
    nextCommands: [
      "tr '\\0' '\\n' < /proc/<gateway pid>/environ | grep -i _proxy   # as root or the gateway's user",
      "systemctl --user show openclaw-gateway -p Environment",
      "set the same proxy (and NO_PROXY) in the unit, then: openclaw gateway restart",
    ],
    match(e) {
      const env = e["gateway.env"];
      if (!env || env.pid === null || env.processUnreadable) return null;
      const proc = proxyMap(env.proxies.process);
      const lines: string[] = [];
      const def = e["service.definition"];
      if (def?.path && def.environment) lines.push(...proxyDiff(proc, proxyMap(def.environment), "gateway", "unit"));
      const agent = proxyMap(env.proxies.agent);
      if (agent.size > 0) lines.push(...proxyDiff(proc, agent, "gateway", "agent's environment"));
      return lines.length > 0 ? [...new Set(lines)] : null;
    },
  },
];
