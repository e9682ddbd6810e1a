import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { enrollAgent, runAgent } from "../test/support/agent-process.ts";
import { spawnControlPlane } from "../test/support/control-plane-process.ts";
import { RealGateway } from "../test/support/gateway/gateway.ts";
import { ensureOpenclaw } from "../test/support/gateway/install.ts";
import { firstFindingId, postSlashCommand, waitHostOnline } from "../test/support/slack-signing.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";
import { percentile } from "./stats.ts";

/**
 * Triage wall time on a real OpenClaw gateway, from the signed slash command to the final
 * result message at the Slack stand-in, next to the seeds' manual diagnostic ladder run on
 * the same gateway in the same run.
 */

/** The seeds' ladder (troubleshooting page), in order. `logs --follow` never ends, so the
 *  bounded form an operator would paste is used; `doctor` runs non-interactively. */
export const MANUAL_LADDER: string[][] = [
  ["status"],
  ["gateway", "status"],
  ["logs", "--limit", "200", "--plain"],
  ["doctor", "--non-interactive"],
  ["channels", "status", "--probe"],
];

export interface LadderRun {
  steps: { command: string; ms: number; exitCode: number | null }[];
  totalMs: number;
}

export interface TriageBench {
  state: "healthy" | "stopped";
  /** Command → final answer (every probe in). */
  runs: number[];
  medianMs: number;
  maxMs: number;
  /** Command → first answer (fast probes in; slow CLI probes still running). */
  firstAnswerMedianMs: number;
  topFinding: string | null;
  ladder: LadderRun;
}

const SECRET = "bench-signing-secret";
const TOKEN = "xoxb-bench";
const HOST = "bench-host";

export async function benchTriage(opts: { runs: number; log: (line: string) => void }): Promise<TriageBench[]> {
  const install = await ensureOpenclaw();
  const gw = await RealGateway.create(install);
  const slack = new SlackStandIn(TOKEN);
  const apiUrl = await slack.start();
  const cp = await spawnControlPlane({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: apiUrl });
  const agentEnv = { ...gw.processEnv(), CLAWOPS_OPENCLAW_BIN: install.openclawBin };
  let agentDir: string | null = null;
  let agent: ReturnType<typeof runAgent> | null = null;
  try {
    opts.log("starting a real gateway (≈15 s)…");
    await gw.start();
    agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env: agentEnv });
    agent = runAgent({ dir: agentDir, env: agentEnv });
    await waitHostOnline(cp.url, SECRET, HOST);
    // One unmeasured triage: the first `openclaw` CLI call after a gateway start is slower.
    await timeTriage(cp.url, slack, "C0WARM");

    const out: TriageBench[] = [];
    for (const state of ["healthy", "stopped"] as const) {
      if (state === "stopped") await gw.stop();
      const runs: number[] = [];
      const firsts: number[] = [];
      let top: string | null = null;
      for (let i = 0; i < opts.runs; i++) {
        const r = await timeTriage(cp.url, slack, `C0${state.toUpperCase()}`);
        runs.push(r.ms);
        firsts.push(r.firstMs);
        top = r.topFinding;
        const first = (r.firstMs / 1000).toFixed(2);
        opts.log(
          `triage (${state}) #${i + 1}: first ${first} s, final ${(r.ms / 1000).toFixed(2)} s, top ${top ?? "none"}`,
        );
      }
      opts.log(`manual ladder (${state})… ${state === "stopped" ? "(several commands wait 60 s each)" : ""}`);
      const ladder = await runLadder(install.openclawBin, gw.processEnv(), opts.log);
      const sorted = [...runs].sort((a, b) => a - b);
      out.push({
        state,
        runs,
        medianMs: percentile(sorted, 50),
        maxMs: sorted[sorted.length - 1] ?? 0,
        firstAnswerMedianMs: percentile(
          [...firsts].sort((a, b) => a - b),
          50,
        ),
        topFinding: top,
        ladder,
      });
    }
    return out;
  } finally {
    await agent?.kill();
    await cp.stop();
    await slack.stop();
    await gw.dispose();
    if (agentDir) rmSync(agentDir, { recursive: true, force: true });
  }
}

async function timeTriage(
  url: string,
  slack: SlackStandIn,
  channel: string,
): Promise<{ firstMs: number; ms: number; topFinding: string | null }> {
  const before = slack.calls.length;
  const t0 = performance.now();
  const { body } = await postSlashCommand(url, SECRET, { text: `triage ${HOST}`, channel_id: channel });
  if (!body.text?.includes("started")) throw new Error(`triage not started: ${body.text}`);
  // Result messages start "Triage <host>:" (renderTriageResult); the first answer names the slow
  // probes still running, the final edit does not.
  const results = () => slack.calls.slice(before).filter((c) => String(c.body.text).startsWith(`Triage ${HOST}:`));
  await slack.waitFor(() => results().length > 0, 120_000, "first answer");
  const firstMs = performance.now() - t0;
  const isFinal = (c: { body: Record<string, unknown> }) => !JSON.stringify(c.body.blocks).includes("Still running");
  await slack.waitFor(() => results().some(isFinal), 120_000, "final answer");
  const ms = performance.now() - t0;
  const final = results().find(isFinal);
  return { firstMs, ms, topFinding: firstFindingId(final?.body.blocks) ?? null };
}

async function runLadder(bin: string, env: NodeJS.ProcessEnv, log: (l: string) => void): Promise<LadderRun> {
  const steps: LadderRun["steps"] = [];
  const t0 = performance.now();
  for (const args of MANUAL_LADDER) {
    const s = performance.now();
    const exitCode = await new Promise<number | null>((resolve) => {
      execFile(bin, args, { env, timeout: 180_000, maxBuffer: 32 * 1024 * 1024 }, (err) =>
        resolve(err ? ((err as { code?: number }).code ?? null) : 0),
      );
    });
    const ms = performance.now() - s;
    steps.push({ command: `openclaw ${args.join(" ")}`, ms, exitCode });
    log(`  openclaw ${args.join(" ")}: ${(ms / 1000).toFixed(1)} s (exit ${exitCode})`);
  }
  return { steps, totalMs: performance.now() - t0 };
}
