import type { LogAttribution } from "../../contract/catalog.ts";
import { readProcess } from "./host/proc-processes.ts";
import type { JobReadings } from "./job-readings.ts";

/**
 * Whose file log this is (issue 30). The default log, `/tmp/openclaw/openclaw-<date>.log`, takes
 * the lines of every gateway and every CLI call on the host; a gateway start writes
 * `[gateway] spawn broker ready pid=<n>` (real 2026.9.6 line), `<n>` being a worker the gateway
 * forks and keeps for its lifetime. So the newest such line in the file names the gateway that
 * last started here: its parent.
 */
const SPAWN_BROKER = /spawn broker ready pid=(\d+)/g;

export async function attributeLog(
  text: string,
  configured: boolean,
  configPath: string,
  procRoot: string,
  readings: Pick<JobReadings, "ownGateways" | "gatewayProcesses">,
): Promise<LogAttribution> {
  if (configured) return { verdict: "configured", how: `logging.file of ${configPath}` };
  const pid = lastMatch(text);
  if (pid === null)
    return {
      verdict: "unproven",
      how: "OpenClaw's default log, shared by every gateway and CLI on this host, and no gateway start in the lines read",
    };
  const [worker, own, all] = await Promise.all([
    readProcess(procRoot, pid),
    readings.ownGateways().catch(() => []),
    readings.gatewayProcesses().catch(() => ({ processes: [] })),
  ]);
  const parent = worker?.ppid;
  if (parent !== undefined && own.some((g) => g.pid === parent))
    return {
      verdict: "this-gateway",
      how: `the newest start in it forked pid ${pid}, a worker of this config's gateway (pid ${parent})`,
    };
  if (parent !== undefined && all.processes.some((g) => g.pid === parent))
    return {
      verdict: "other-gateway",
      how: `the newest start in it forked pid ${pid}, a worker of gateway pid ${parent}, which serves another config`,
    };
  return {
    verdict: "unproven",
    how: `OpenClaw's default log, shared by every gateway and CLI on this host; the newest start in it forked pid ${pid}, which no running gateway of this config owns`,
  };
}

function lastMatch(text: string): number | null {
  let pid: number | null = null;
  for (const m of text.matchAll(SPAWN_BROKER)) pid = Number(m[1]);
  return pid;
}
