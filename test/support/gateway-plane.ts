import { rmSync } from "node:fs";
import { type AgentLaunch, type AgentProcess, enrollAgent, runAgent } from "./agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "./control-plane-process.ts";
import { type SharedGateway, sharedGateway } from "./gateway/control.ts";
import { waitHostOnline } from "./slack-signing.ts";
import { SlackStandIn } from "./slack-standin.ts";

/**
 * The set-up of a real-gateway test that talks Slack, on the shared OpenClaw gateway as the file's
 * start made it (gatewayAtFileStart: healthy unless the file said otherwise): the Slack stand-in,
 * a control plane as `npm start` runs it (pointed at the stand-in, with the signing secret and bot
 * token plus `env`), and a real clawops-agent enrolled with a one-time code, run against the
 * gateway and online. `close()` stops all of it and leaves the gateway as the tests left it (the
 * next file makes the state it needs). `cp` and `agent` may be replaced by a test that restarts
 * them; `close()` stops whichever are there then.
 */
export interface GatewayPlane {
  gw: SharedGateway;
  slack: SlackStandIn;
  cp: ControlPlaneProcess;
  agent: AgentProcess;
  agentDir: string;
  /** The agent's environment: the gateway's, with its `openclaw`. */
  agentEnv(): NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startGatewayPlane(opts: {
  secret: string;
  botToken: string;
  host: string;
  /** More control-plane environment (incident channel, watch interval, alert settings …). */
  env?: Record<string, string>;
  /** The watch at a 2 s interval (digest every 60 s), posting to this incident channel. */
  watchIncidents?: string;
  /** Keep the control plane's data folder when it stops (a test restarts it on the same data); close() removes it. */
  keepData?: boolean;
  /** How the agent runs: the TypeScript sources (default) or a built bundle with its Node flags, and its extra environment. */
  launch?: AgentLaunch & { env?: Record<string, string> };
}): Promise<GatewayPlane> {
  const gw = sharedGateway();
  const agentEnv = () => ({ ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.openclawBin, ...opts.launch?.env });
  const parts: Partial<GatewayPlane> = { gw, agentEnv };
  const close = async () => {
    await parts.agent?.kill();
    await parts.cp?.stop();
    await parts.slack?.stop();
    if (opts.keepData && parts.cp) rmSync(parts.cp.dataDir, { recursive: true, force: true });
    if (parts.agentDir) rmSync(parts.agentDir, { recursive: true, force: true });
  };
  const watchEnv: Record<string, string> = opts.watchIncidents
    ? { CLAWOPS_INCIDENT_CHANNEL: opts.watchIncidents, CLAWOPS_WATCH_INTERVAL_S: "2", CLAWOPS_WATCH_DIGEST_S: "60" }
    : {};
  try {
    parts.slack = new SlackStandIn(opts.botToken);
    const apiUrl = await parts.slack.start();
    parts.cp = await spawnControlPlane(
      {
        SLACK_SIGNING_SECRET: opts.secret,
        SLACK_BOT_TOKEN: opts.botToken,
        SLACK_API_URL: apiUrl,
        ...watchEnv,
        ...opts.env,
      },
      { keepData: opts.keepData ?? false },
    );
    const cp = parts.cp;
    parts.agentDir = await enrollAgent({
      server: cp.url,
      host: opts.host,
      code: await cp.enrollmentCode(opts.host),
      env: agentEnv(),
      ...(opts.launch ? { launch: opts.launch } : {}),
    });
    const agent = runAgent({ dir: parts.agentDir, env: agentEnv(), ...(opts.launch ? { launch: opts.launch } : {}) });
    parts.agent = agent;
    await waitHostOnline(cp.url, opts.secret, opts.host, { describe: () => agent.log() });
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
  const plane = parts as GatewayPlane;
  plane.close = close;
  return plane;
}
