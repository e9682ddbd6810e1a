import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AgentProcess, enrollAgent, runAgent } from "./agent-process.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "./local-worker.ts";
import { waitHostOnline } from "./slack-signing.ts";
import { SlackStandIn } from "./slack-standin.ts";

/**
 * The set-up of a test (or bench) against the Workers runtime in workerd: the Slack stand-in,
 * wrangler.toml's Worker on a free loopback port (test/support/local-worker.ts) with its state
 * in a fresh folder and the signing secret, bot token, stand-in URL and admin token as vars
 * (plus `vars`), and, with `agent`, a real clawops-agent enrolled with a one-time code from
 * the operator API, running and online. `stop()` stops all of it, the agent first (so the
 * Worker sees it go), then workerd, then the stand-in, and removes the folders it made.
 */
export interface WorkerdPlane {
  worker: LocalWorker;
  /** The Worker's base URL (http://127.0.0.1:<port>). */
  url: string;
  slack: SlackStandIn;
  /** The Worker's Durable Object/R2/Workflow state. */
  stateDir: string;
  /** Present when started with `agent`. */
  agent?: AgentProcess;
  agentDir?: string;
  /** A request to the Worker's operator API with the admin token. */
  admin(path: string, init?: RequestInit): Promise<Response>;
  /** A one-time enrollment code for `host` (`POST /api/admin/enrollment-codes`). */
  enrollmentCode(host: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The environment of an agent whose gateway does not exist: its own HOME and OpenClaw state
 * folder, a loopback port nothing listens on, no `openclaw` binary.
 */
async function missingGatewayEnv(home: string): Promise<NodeJS.ProcessEnv> {
  return {
    PATH: process.env.PATH,
    HOME: home,
    OPENCLAW_STATE_DIR: join(home, ".openclaw"),
    OPENCLAW_GATEWAY_PORT: String(await freeLoopbackPort()),
    CLAWOPS_OPENCLAW_BIN: join(home, "no-such-openclaw"),
  };
}

export interface WorkerdPlaneOptions {
  /** Names the temporary folders (`clawops-<name>-…`). */
  name: string;
  secret: string;
  botToken: string;
  adminToken: string;
  /** More Worker vars (incident channel, watch interval, alert token, fan-out group …). */
  vars?: Record<string, string>;
  /**
   * A real agent enrolled as `host` and online. Its environment is `env` (a real gateway's),
   * or by default one whose gateway does not exist (a closed port, no OpenClaw binary).
   */
  agent?: { host: string; env?: NodeJS.ProcessEnv };
}

/** A plane started with `agent`: its agent is there. */
export type WorkerdPlaneWithAgent = WorkerdPlane & { agent: AgentProcess; agentDir: string };

export function startWorkerdPlane(
  opts: WorkerdPlaneOptions & { agent: NonNullable<WorkerdPlaneOptions["agent"]> },
): Promise<WorkerdPlaneWithAgent>;
export function startWorkerdPlane(opts: WorkerdPlaneOptions): Promise<WorkerdPlane>;
export async function startWorkerdPlane(opts: WorkerdPlaneOptions): Promise<WorkerdPlane> {
  const made: string[] = [];
  const tempDir = (suffix: string) => {
    const dir = mkdtempSync(join(tmpdir(), `clawops-${opts.name}-${suffix}`));
    made.push(dir);
    return dir;
  };
  const parts: Partial<WorkerdPlane> = {};
  const stop = async () => {
    if (parts.agent) {
      // A stopped (SIGSTOP) agent would not see the SIGTERM until continued.
      parts.agent.child.kill("SIGCONT");
      await parts.agent.kill();
    }
    await parts.worker?.dispose();
    await parts.slack?.stop();
    for (const dir of made) rmSync(dir, { recursive: true, force: true });
  };
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${parts.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${opts.adminToken}`, "content-type": "application/json", ...init.headers },
    });
  const enrollmentCode = async (host: string) => {
    const res = await admin("/api/admin/enrollment-codes", { method: "POST", body: JSON.stringify({ host }) });
    if (res.status !== 200) throw new Error(`enrollment code for ${host}: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { code: string }).code;
  };
  Object.assign(parts, { admin, enrollmentCode, stop });
  try {
    parts.slack = new SlackStandIn(opts.botToken);
    const apiUrl = await parts.slack.start();
    parts.stateDir = tempDir("state-");
    const { worker, url } = await startLocalWorker({
      port: await freeLoopbackPort(),
      persist: parts.stateDir,
      vars: {
        SLACK_SIGNING_SECRET: opts.secret,
        SLACK_BOT_TOKEN: opts.botToken,
        SLACK_API_URL: apiUrl,
        CLAWOPS_ADMIN_TOKEN: opts.adminToken,
        ...opts.vars,
      },
    });
    Object.assign(parts, { worker, url });
    if (opts.agent) {
      const { host } = opts.agent;
      const env = opts.agent.env ?? (await missingGatewayEnv(tempDir("home-")));
      parts.agentDir = await enrollAgent({ server: url, host, code: await enrollmentCode(host), env });
      made.push(parts.agentDir);
      const agent = runAgent({ dir: parts.agentDir, env });
      parts.agent = agent;
      await waitHostOnline(url, opts.secret, host, { describe: () => agent.log() });
    }
  } catch (err) {
    await stop().catch(() => {});
    throw err;
  }
  return parts as WorkerdPlane;
}
