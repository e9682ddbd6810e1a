import { readFileSync } from "node:fs";
import { parseEnv } from "node:util";
import { errorMessage } from "../../contract/errors.ts";
import { controlPlaneSettings, type LoadedConfig, loadNodeConfig, type NodeConfig, type ShownVar } from "./load.ts";

/**
 * `clawops config [--env-file FILE] [--json]`: the configuration `npm start` would run with
 * here, every variable with its value (secrets masked) and where it came from (env, a file,
 * Parameter Store, the default), then every problem. It runs locally and needs no control
 * plane, so an operator can check an env file before restarting the service with it:
 * `clawops config --env-file /etc/clawops/clawops.env`. Exit 0 when it would start, 2 when not.
 */
export async function showConfig(
  env: Readonly<Record<string, string | undefined>>,
  opts: { envFile?: string; json?: boolean },
  out: (text: string) => void,
): Promise<number> {
  let file: { path: string; vars: Record<string, string> } | undefined;
  if (opts.envFile) {
    try {
      file = { path: opts.envFile, vars: parseEnv(readFileSync(opts.envFile, "utf8")) as Record<string, string> };
    } catch (err) {
      out(`clawops: cannot read ${opts.envFile}: ${errorMessage(err)}\n`);
      return 2;
    }
  }
  const loaded = await loadNodeConfig(env, file ? { file } : {});
  out(opts.json ? `${JSON.stringify(configJson(loaded), null, 2)}\n` : configText(loaded, file?.path));
  return loaded.ok ? 0 : 2;
}

function configJson(loaded: LoadedConfig) {
  return {
    ok: loaded.ok,
    variables: loaded.shown.map(({ name, value, source, secret }) => ({ name, value, source, secret })),
    problems: loaded.ok ? [] : loaded.problems,
  };
}

/** Groups in table order, each variable on one line: name, value, source. */
export function configText(loaded: LoadedConfig, envFile?: string): string {
  const width = Math.max(...loaded.shown.map((v) => v.name.length)) + 2;
  const valueWidth = Math.min(48, Math.max(...loaded.shown.map((v) => shown(v).length)) + 2);
  const lines = [
    `The configuration \`npm start\` would use here${envFile ? ` with ${envFile}` : ""} (secrets masked):`,
  ];
  let group = "";
  for (const v of loaded.shown) {
    if (v.group !== group) {
      group = v.group;
      lines.push("", group);
    }
    const value = shown(v);
    const padded = value.length >= valueWidth ? `${value} ` : value.padEnd(valueWidth);
    lines.push(`  ${v.name.padEnd(width)}${padded}${v.source}`);
  }
  lines.push("");
  if (loaded.ok) lines.push(chatsOn(loaded.config), "");
  if (loaded.ok) lines.push("No problems: `npm start` would start with this.");
  else {
    const n = loaded.problems.length;
    lines.push(`${n} problem${n === 1 ? "" : "s"}; \`npm start\` would refuse to start:`);
    for (const p of loaded.problems) lines.push(`  - ${p}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Which chats this configuration turns on (issue 43: each is on when its settings are present). */
function chatsOn(config: NodeConfig): string {
  const s = controlPlaneSettings(config, SILENT);
  const on = [
    s.slack ? "Slack" : null,
    s.discord ? "Discord" : null,
    s.mattermost ? "Mattermost" : null,
    s.teams ? "Microsoft Teams" : null,
    s.console ? "the local console" : null,
  ].filter((c) => c !== null);
  return `Chats on: ${on.join(", ")}.`;
}

const SILENT = { debug() {}, info() {}, warn() {}, error() {} };

function shown(v: ShownVar): string {
  return v.value === "" ? "-" : v.value;
}
