import { release, type } from "node:os";
import type { VersionsData } from "../../contract/catalog.ts";
import { readFile } from "../fs-async.ts";
import { readUpgradeRecord } from "../upgrade/record.ts";
import { execCommand } from "./exec.ts";
import { budget, type Probe } from "./probe.ts";

/** `openclaw --version` answers in ~0.1 s (GATEWAY-FACTS §3); anything slower is stuck. */
const VERSION_TIMEOUT_MS = 4_000;

export const probeVersions: Probe<"versions"> = async (ctx, _args, run) => {
  const [cli, os] = await Promise.all([
    execCommand(ctx.openclawBin, ["--version"], {
      env: ctx.env,
      timeoutMs: budget(run, VERSION_TIMEOUT_MS),
      signal: run.signal,
    }),
    osName(),
  ]);
  const raw = cli.stdout.trim();
  const version = cli.exitCode === 0 ? parseOpenclawVersion(raw) : null;
  const data: VersionsData = { agent: ctx.agentVersion, openclaw: version, os, node: process.version };
  // How the agent's last upgrade in place went (the control plane reads it once the agent is back).
  const upgrade = readUpgradeRecord(ctx.agentDir);
  if (upgrade) data.upgrade = upgrade;
  if (raw) data.openclawRaw = raw.slice(0, 200);
  if (version === null) {
    // e.g. Node 20: `openclaw: Node 20.20.2: node:sqlite is unavailable; use 24.16+/26.1+` (GATEWAY-FACTS §1).
    data.openclawError = cli.spawnError
      ? `${cli.spawnError.code}: ${cli.spawnError.message}`
      : cli.timedOut
        ? `openclaw --version did not answer within ${VERSION_TIMEOUT_MS} ms`
        : `exit ${cli.exitCode ?? cli.exitSignal}: ${(cli.stderr.trim() || raw).slice(0, 500)}`;
  }
  return data;
};

/** `OpenClaw 2026.9.6 (eb377ac)` → `2026.9.6`. */
export function parseOpenclawVersion(output: string): string | null {
  const m = /\bOpenClaw\s+v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)/i.exec(output);
  return m?.[1] ?? null;
}

async function osName(): Promise<string> {
  try {
    const text = await readFile("/etc/os-release", "utf8");
    const m = /^PRETTY_NAME=(?:"([^"]*)"|'([^']*)'|(.*))$/m.exec(text);
    const pretty = m?.[1] ?? m?.[2] ?? m?.[3];
    if (pretty) return `${pretty} (${type()} ${release()})`;
  } catch {
    // Not Linux, or a minimal image: fall through.
  }
  return `${type()} ${release()}`;
}
