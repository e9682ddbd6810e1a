/**
 * Every variable the agent reads from its environment (issue 45, item 1), declared once: its
 * `--help` lists them from here and docs/configuration.md is written from here (`npm run
 * docs:config`). Set by its systemd unit or launchd plist, or by `npm start` for the local
 * agent. A plain table, not zod schemas: the agent ships as one small file to every host and
 * each reader parses its own value where it is used (watch.ts, context.ts, log.ts).
 * test/unit/agent-vars.test.ts holds the agent's sources and its `--help` to this table.
 */
export interface AgentVar {
  /** What it does, as `--help` and the reference page say it. */
  readonly doc: string;
  /** The value used when unset, as the operator would write it. */
  readonly default?: string;
}

export const AGENT_VARS = {
  CLAWOPS_AGENT_DIR: { doc: "Where the agent keeps its key pair and `agent.json`.", default: "~/.clawops-agent" },
  CLAWOPS_AGENT_SERVER: { doc: "The control plane to dial, instead of the one `agent.json` names." },
  CLAWOPS_AGENT_LOG_FILE: {
    doc: "The agent's own log file, rotated at 5 MB, three kept (docs/agents-and-ssm.md): it logs there instead of stderr, for launchd; `~/` is the user's home.",
  },
  CLAWOPS_GATEWAY_PORT: { doc: "The gateway's port, when not the one its config names." },
  CLAWOPS_OPENCLAW_BIN: { doc: "The `openclaw` CLI to run, when not the one on PATH.", default: "openclaw" },
  CLAWOPS_AGENT_EXIT_WITH_PARENT: {
    doc: "1: end when its parent's pipe closes (set by `npm start` for the local agent).",
  },
  CLAWOPS_WATCH_INTERVAL_S: {
    doc: "This host's watch interval in seconds, instead of the control plane's (30 s); 0 turns the watch off (docs/watch.md).",
  },
  CLAWOPS_DOCTOR_REFRESH_S: {
    doc: "After a triage answered from a kept `openclaw doctor --lint` reading at least this many seconds old, the agent takes a new one once the job is over. Doctor costs 5-10 CPU-seconds on this host; a new config or state folder shape gets a new reading whatever this says.",
    default: "60",
  },
  LOG_LEVEL: {
    doc: "The least severe log line written: debug, info, warn or error (an unreadable one logs at info and says so).",
    default: "info",
  },
  OPENCLAW_STATE_DIR: { doc: "OpenClaw's state folder, as the gateway reads it.", default: "~/.openclaw" },
  OPENCLAW_CONFIG_PATH: {
    doc: "OpenClaw's config file, as the gateway reads it.",
    default: "$OPENCLAW_STATE_DIR/openclaw.json",
  },
  OPENCLAW_GATEWAY_PORT: {
    doc: "The gateway's port, as the gateway reads it (after `--port`, before the config's `gateway.port`).",
  },
  OPENCLAW_GATEWAY_TOKEN: {
    doc: "The gateway token in the environment: used only when the config names none, and compared with the config's by fingerprint only.",
  },
} as const satisfies Record<string, AgentVar>;

/**
 * A variable of the table that holds seconds, in ms: undefined when unset; throws, naming it, on
 * a value that is not a number of seconds (`hint` ends the message, e.g. what 0 means).
 */
export function agentSecondsVar(
  env: Readonly<Record<string, string | undefined>>,
  name: keyof typeof AGENT_VARS,
  hint = "",
): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const s = Number(raw);
  if (!Number.isFinite(s) || s < 0)
    throw new Error(`${name}: "${raw.slice(0, 20)}" is not a number of seconds${hint}.`);
  return Math.round(s * 1000);
}

/** The `Environment:` lines of `clawops-agent --help`: each variable, its doc wrapped under itself, its default after it. */
export function agentVarsHelp(columns = 100): string {
  const names = Object.keys(AGENT_VARS) as (keyof typeof AGENT_VARS)[];
  const width = Math.max(...names.map((n) => n.length));
  const indent = " ".repeat(width + 4);
  return names
    .map((name) => {
      const v: AgentVar = AGENT_VARS[name];
      const lines: string[] = [];
      let line = `  ${name.padEnd(width)}  `;
      for (const word of `${v.doc}${v.default ? ` Default: ${v.default}.` : ""}`.split(" ")) {
        if (line.length + word.length > columns && line.trim() !== name) {
          lines.push(line.trimEnd());
          line = indent;
        }
        line += `${word} `;
      }
      return `${[...lines, line.trimEnd()].join("\n")}\n`;
    })
    .join("");
}
