import type { Evidence } from "./evidence.ts";
import type { Rule } from "./finding.ts";
import { lastReadyLine, logSignature, newerThan, quoteSignature } from "./log-evidence.ts";
import { notServing } from "./rules-logs.ts";

/**
 * Why the gateway is down, in its own words, and a change it has not taken yet (issue 30,
 * "Also"). Captured on OpenClaw 2026.9.6: each refused start logs `Gateway failed to start: <why>`
 * (exit 78 for an invalid value or a state database it cannot read, a bind address the host does
 * not have); the text names what can help, and for an unreadable state database says doctor
 * cannot repair it while its appended generic hint still says to run `doctor --fix`.
 */

/** The newest refused start since the last `ready`, as the gateway wrote it (text after the timestamp). */
export function lastStartFailure(e: Evidence): string | null {
  if (!newerThan(e, "start-failed", ["gateway-ready"])) return null;
  const example = logSignature(e, "start-failed")?.examples.at(-1);
  return example
    ? example.replace(/^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:?\d\d)?\s+/, "").replace(/\s*\n\s*/g, " ")
    : null;
}

/** `openclaw …` commands a text names (quoted or not), up to the end of the command's words. */
function namedCommands(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\bopenclaw((?: (?:--?[a-z][\w-]*|[a-z][\w.-]*))+)/g)) {
    const words = (m[1] ?? "").trim().split(" ");
    // Stop at the first English word after the command ("… --fix to repair", "… status for diagnostics").
    const end = words.findIndex(
      (w, i) => i > 0 && /^(to|for|then|or|and|from|with|if|first|again|before|after)$/.test(w),
    );
    const cmd = `openclaw ${(end < 0 ? words : words.slice(0, end)).join(" ")}`.replace(/[.,;:]+$/, "");
    if (!found.includes(cmd)) found.push(cmd);
  }
  return found;
}

/**
 * The next commands the gateway's own failure text offers, minus those it says cannot help: a
 * start refused for a state database doctor "cannot repair" offers a restore from backup, not
 * `doctor --fix`. Null when no refused start is known.
 */
export function startFailureCommands(e: Evidence): string[] | null {
  const text = lastStartFailure(e);
  if (!text) return null;
  const cannotRepair = /Doctor cannot repair this state/i.test(text);
  const commands = namedCommands(text).filter((c) => !(cannotRepair && /\bdoctor\b/.test(c)));
  const restore = /restore (?:this file|it) from a verified backup/i.exec(text);
  const path = /unreadable at (\S+?):\s/.exec(text)?.[1];
  if (cannotRepair && restore) {
    const stop = commands.filter((c) => /\bstop\b/.test(c));
    const rest = commands.filter((c) => !/\bstop\b/.test(c));
    return [
      ...(stop.length ? stop : ["stop the gateway and every openclaw process using this state"]),
      `restore ${path ?? "the state database"} from a verified backup (the gateway says doctor cannot repair it)`,
      ...rest,
    ];
  }
  return commands.length > 0 ? commands : null;
}

/** What the running gateway listens on (from its sockets), against the file's bind. */
function bindPending(e: Evidence): string | null {
  const cfg = e.config;
  const pl = e["port.listeners"];
  if (!cfg?.bind || !pl || pl.listeners.length === 0) return null;
  const addrs = pl.listeners.map((l) => l.address);
  const loopback = addrs.every((a) => /^(127\.|\[::1\]|::1|localhost)/.test(a));
  const wildcard = addrs.some((a) => /^(0\.0\.0\.0|\[::\]|\*):/.test(a));
  if (cfg.bind === "loopback" && wildcard)
    return `gateway.bind=loopback in the file; the gateway listens on ${addrs.join(", ")}`;
  if ((cfg.bind === "lan" || cfg.bind === "auto") && loopback)
    return `gateway.bind=${cfg.bind} in the file; the gateway listens on ${addrs.join(", ")} only`;
  return null;
}

export const FIELD_START_RULES: readonly Rule[] = [
  {
    id: "gateway-start-refused",
    layer: "process",
    severity: "fail",
    confidence: "high",
    title: "The gateway's last start was refused, and its log says why",
    explanation:
      "The gateway does not serve, and its last start ended with 'Gateway failed to start' after its last ready line: " +
      "the reason is its own, quoted below (an invalid config value, a bind address this host does not have, a state " +
      "database it cannot read …). A supervisor that restarts it gets the same answer until that cause is fixed. The " +
      "next commands are the ones the gateway names; where it says doctor cannot repair the state, doctor is not " +
      "offered.",
    nextCommands: ["openclaw logs --limit 50 --plain   # the 'Gateway failed to start' line"],
    commands: startFailureCommands,
    match(e) {
      // The bind and mode refusals have rules of their own, with their own commands.
      if (
        !notServing(e) ||
        newerThan(e, "refusing-to-bind", ["gateway-ready"]) ||
        newerThan(e, "start-blocked", ["gateway-ready"])
      )
        return null;
      const text = lastStartFailure(e);
      if (!text) return null;
      const sig = logSignature(e, "start-failed");
      return [
        `gateway log: ${text}`,
        ...(sig && sig.count > 1
          ? [`${sig.count} refused starts in what was read, newest ${sig.lastAt ?? "undated"}`]
          : []),
        ...lastReadyLine(e),
      ];
    },
  },
  {
    id: "config-change-pending",
    layer: "config",
    severity: "warn",
    confidence: "high",
    title: "The running gateway is not on the config file's port, bind or auth mode: a change waits for a restart",
    explanation:
      "openclaw.json names a port, bind or auth mode other than the one the running gateway uses. Either the gateway " +
      "took no restart for the change (gateway.reload.mode=off, a restart deferred until active work finishes, or one " +
      "it could not make) or it was started with a flag that overrides the file (`--port`). It is judged here by what it " +
      "runs (its own sockets and session): clients keep reaching the old values, and the next restart (or crash) brings " +
      "the file's values in, unless the service starts it with its own --port.",
    nextCommands: [
      "openclaw config get gateway   # what the file says",
      "openclaw logs --limit 200 --plain | grep -i 'requires gateway restart'",
      "openclaw gateway restart   # to apply it, once the new values are what you want",
    ],
    match(e) {
      const lines: string[] = [];
      const cfg = e.config;
      if (cfg?.pendingPort !== undefined) {
        lines.push(
          `gateway.port=${cfg.pendingPort} in the file; the running gateway (pid ${cfg.portPid ?? "?"}) serves on ${cfg.port}`,
        );
        const argv = e["service.definition"]?.execStart ?? [];
        const flag = argv.indexOf("--port");
        if (flag >= 0 && argv[flag + 1])
          lines.push(`the service starts it with --port ${argv[flag + 1]}, which wins over the file`);
      }
      const bind = bindPending(e);
      if (bind) lines.push(bind);
      const method = e["gateway.ws"]?.auth?.method;
      if (
        cfg?.authMode &&
        method &&
        e["gateway.ws"]?.outcome === "hello-ok" &&
        /^(token|password|none)$/.test(cfg.authMode) &&
        method !== cfg.authMode
      )
        lines.push(
          `gateway.auth.mode=${cfg.authMode} in the file; the running gateway accepted the agent by ${method}`,
        );
      if (lines.length > 0 && newerThan(e, "restart-pending", ["gateway-ready"]))
        lines.push(...quoteSignature(e, "restart-pending", 1), ...lastReadyLine(e));
      return lines.length > 0 ? lines : null;
    },
  },
];
