import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentConnection } from "../src/agent/connection.ts";
import { enroll } from "../src/agent/enroll.ts";
import { loadOrCreateIdentity } from "../src/agent/identity.ts";
import type { StepResult } from "../src/contract/catalog.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../test/support/control-plane-process.ts";
import { waitHostOnline } from "../test/support/slack-signing.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";

/** The host the scripted agent answers for. */
export const BENCH_HOST = "node-3";

export interface ScriptedPlane {
  cp: ControlPlaneProcess;
  slack: SlackStandIn;
  /** The Slack signing secret the control plane checks requests with. */
  secret: string;
  /** Stops the agent, the control plane and the stand-in, and removes the agent's folder. */
  close(): Promise<void>;
}

/**
 * What a bench loads: the control plane as `npm start` runs it (its own process, so the load
 * generator does not share its event loop), the Slack stand-in, and one online host whose
 * agent runs in this process and answers every job at once with one `versions` step, so the
 * work measured is the control plane's. `env` adds to the control plane's environment.
 */
export async function startScriptedPlane(
  opts: { env?: Record<string, string> /** Another checkout's src/node/main.ts (a baseline). */; main?: string } = {},
): Promise<ScriptedPlane> {
  const secret = "bench-signing-secret";
  const token = "xoxb-bench";
  const quiet = { info() {}, warn() {}, error() {} };
  const dir = mkdtempSync(join(tmpdir(), "clawops-bench-"));
  const slack = new SlackStandIn(token);
  const apiUrl = await slack.start();
  const cp = await spawnControlPlane(
    {
      SLACK_SIGNING_SECRET: secret,
      SLACK_BOT_TOKEN: token,
      SLACK_API_URL: apiUrl,
      ...opts.env,
    },
    opts.main ? { main: opts.main } : {},
  );
  const identity = loadOrCreateIdentity(join(dir, "agent"));
  await enroll({
    dir: join(dir, "agent"),
    server: cp.url,
    host: BENCH_HOST,
    code: await cp.enrollmentCode(BENCH_HOST),
  });
  const results: StepResult[] = [
    {
      step: "versions",
      status: "ok",
      durationMs: 1,
      data: { agent: "bench", openclaw: "2026.9.6", os: "linux", node: process.version },
    },
  ];
  const agent = new AgentConnection({
    server: cp.url,
    host: BENCH_HOST,
    identity,
    agentVersion: "bench",
    gatewayVersion: () => "2026.9.6",
    logger: quiet,
    runner: {
      run: async (_j, on) => {
        for (const r of results) on(r);
        return results;
      },
    },
  });
  agent.start();
  await waitHostOnline(cp.url, secret, BENCH_HOST);
  return {
    cp,
    slack,
    secret,
    async close() {
      await agent.stop();
      await cp.stop();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
