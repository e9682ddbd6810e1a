import { execFile } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
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

export type DoctorCacheState = "warm" | "miss";

/** min / median / max of a series, ms. */
export interface Spread {
  minMs: number;
  medianMs: number;
  maxMs: number;
}

export interface TriageCell {
  state: "healthy" | "stopped";
  /** `warm`: the agent's doctor cache holds a result for the current key; `miss`: it does not. */
  doctor: DoctorCacheState;
  /** Command → final answer (every probe in), one per round. */
  runs: number[];
  final: Spread;
  /** Command → first answer (fast probes in; slow CLI probes still running). */
  first: Spread;
  /** What the final answer's footer said about the doctor result. */
  doctorNote: string | null;
  topFinding: string | null;
}

export interface TriageBench {
  rounds: number;
  cells: TriageCell[];
  ladder: { healthy: LadderRun; stopped: LadderRun } | null;
}

const SECRET = "bench-signing-secret";
const TOKEN = "xoxb-bench";
const HOST = "bench-host";

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    minMs: sorted[0] ?? Number.NaN,
    medianMs: percentile(sorted, 50),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

/**
 * Interleaved rounds: each round runs, healthy then stopped, a triage with a doctor-cache miss
 * (a new entry in the state folder changes the cache key, so doctor runs for that triage)
 * and then one with the cache warm (the miss just filled it). The gateway is restarted
 * between rounds. The manual ladder runs once per state at the end (it takes minutes stopped).
 */
export async function benchTriage(opts: {
  runs: number;
  ladder?: boolean;
  log: (line: string) => void;
}): Promise<TriageBench> {
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

    const cells = new Map<string, { first: number[]; final: number[]; note: string | null; top: string | null }>();
    let misses = 0;
    for (let round = 1; round <= opts.runs; round++) {
      for (const state of ["healthy", "stopped"] as const) {
        if (state === "stopped") await gw.stop();
        else if (round > 1) await gw.start();
        for (const doctor of ["miss", "warm"] as const) {
          // A new, empty entry in the state folder: doctor's input changed, the cached result no longer applies.
          if (doctor === "miss") writeFileSync(join(gw.env.OPENCLAW_STATE_DIR, `bench-cache-miss-${++misses}`), "");
          const r = await timeTriage(cp.url, slack, `C0${state.toUpperCase()}`);
          const key = `${state}/${doctor}`;
          const cell = cells.get(key) ?? { first: [], final: [], note: null, top: null };
          cell.first.push(r.firstMs);
          cell.final.push(r.ms);
          cell.note = r.doctorNote;
          cell.top = r.topFinding;
          cells.set(key, cell);
          opts.log(
            `round ${round} ${state}, doctor cache ${doctor}: first ${(r.firstMs / 1000).toFixed(2)} s, final ${(r.ms / 1000).toFixed(2)} s, top ${r.topFinding ?? "none"}; ${r.doctorNote ?? "no doctor note"}`,
          );
        }
      }
    }
    let ladder: TriageBench["ladder"] = null;
    if (opts.ladder !== false) {
      opts.log("manual ladder (stopped)… (several commands wait 60 s each)");
      const stopped = await runLadder(install.openclawBin, gw.processEnv(), opts.log);
      await gw.start();
      opts.log("manual ladder (healthy)…");
      const healthy = await runLadder(install.openclawBin, gw.processEnv(), opts.log);
      ladder = { healthy, stopped };
    }
    const out: TriageCell[] = [];
    for (const [key, c] of cells) {
      const [state, doctor] = key.split("/") as [TriageCell["state"], DoctorCacheState];
      out.push({
        state,
        doctor,
        runs: c.final,
        final: spread(c.final),
        first: spread(c.first),
        doctorNote: c.note,
        topFinding: c.top,
      });
    }
    return { rounds: opts.runs, cells: out, ladder };
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
): Promise<{ firstMs: number; ms: number; topFinding: string | null; doctorNote: string | null }> {
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
  const doctorNote = /doctor (?:result [^"·]*?\(cached on the host\)|ran for this triage)/.exec(
    JSON.stringify(final?.body.blocks ?? []),
  );
  return { firstMs, ms, topFinding: firstFindingId(final?.body.blocks) ?? null, doctorNote: doctorNote?.[0] ?? null };
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
