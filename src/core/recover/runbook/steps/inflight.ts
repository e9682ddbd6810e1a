import type { GatewayInflightData } from "../../../../contract/catalog.ts";
import { DRAIN_WAIT_MS } from "../../../confirmations/confirm.ts";
import { escapeMrkdwn } from "../../../messages/build.ts";
import { mention } from "../../../messages/format.ts";
import type { RunbookContext, StepHandle } from "../context.ts";
import type { StepEnd } from "../step.ts";

/** Cron jobs due this soon count as in flight: a restart would cut them off as they start. */
const CRON_DUE_MARGIN_MS = 2 * 60_000;

export interface InflightRead {
  flight: GatewayInflightData | undefined;
  /** What keeps the gateway from draining, as of this read; null when nothing does. */
  busy: string | null;
  /** When the agent answered (the run's clock). */
  at: number;
}

/** Reads what is in flight on the gateway, one numbered job per read (`inflight-<n>`). */
export function inflightReader(ctx: RunbookContext): () => Promise<InflightRead> {
  let reads = 0;
  return async () => {
    const { results, at } = await ctx.dispatch(`inflight-${++reads}`, [{ step: "gateway.inflight", args: {} }], 15_000);
    const [inflight] = results;
    const flight = inflight?.step === "gateway.inflight" ? inflight.data : undefined;
    return { flight, busy: inflightBusy(flight, at), at };
  };
}

/**
 * "Approve once drained": re-reads the gateway until nothing is active, for at most
 * DRAIN_WAIT_MS (the approval was signed to outlive this wait), sleeping between reads.
 */
export async function waitUntilDrained(
  ctx: RunbookContext,
  at: StepHandle,
  read: () => Promise<InflightRead>,
  by: string,
): Promise<StepEnd> {
  const pollMs = ctx.deps.recovery.drainPollMs ?? 15_000;
  let last = await read();
  const waitStarted = last.at;
  while (last.busy !== null || drainingNow(last.flight)) {
    // A stop begun by someone else while this run waited: not restarted over (restart.ts, drainGate).
    const draining = drainingNow(last.flight);
    if (draining) return drainingEnd(draining);
    const waited = last.at - waitStarted;
    if (waited >= DRAIN_WAIT_MS) {
      const why = `the gateway did not drain within ${Math.round(DRAIN_WAIT_MS / 60_000)} min (${last.busy}); nothing was restarted`;
      return {
        fail: why,
        why: `${why}. Run \`/openclaw recover ${ctx.host}\` again and approve now to go ahead regardless.`,
      };
    }
    await at.set(
      "running",
      `approved by ${mention(by)} once drained; waiting: ${last.busy} (${Math.round(waited / 1000)} s)`,
    );
    await ctx.fx.sleep(ctx.next("drain wait"), pollMs);
    last = await read();
  }
  const drainedAt = last.at;
  await ctx.fx.do("drained", async () => {
    await ctx.audit("recover.drained", "ok", `drained after ${Math.round((drainedAt - waitStarted) / 1000)} s`, by);
    return null;
  });
  return "next";
}

/**
 * The gateway is already draining for a stop or restart (`/readyz` 503 with `gateway-draining`,
 * OpenClaw 2026.9.6): the `/readyz` answer in words, or null. Another restart is not sent then:
 * see restart.ts.
 */
export function drainingNow(flight: GatewayInflightData | undefined): string | null {
  const r = flight?.readyz;
  if (r?.status !== 503 || !r.failing.includes("gateway-draining")) return null;
  return `/readyz ${r.status} ${JSON.stringify({ failing: r.failing })}`;
}

/**
 * A stop or restart is already under way: the gateway drains its active work and admits nothing
 * new. Restarting it over that drain would cut off the work it waits for, so the run stops and
 * says what to do.
 */
export function drainingEnd(draining: string): Exclude<StepEnd, "next"> {
  const detail = escapeMrkdwn(draining);
  return {
    fail: `not restarted: the gateway is already draining for a stop or restart (${detail})`,
    why:
      `the gateway is already stopping or restarting and is draining its active work (${detail}); ` +
      "clawops does not restart over a drain, which would cut that work off. Its log names what it waits for " +
      "(`openclaw logs --limit 200 --plain | grep -E 'draining active work|shutdown deadline'`). " +
      "Wait until `/readyz` answers 200 again (or the process has exited), then run recover again.",
  };
}

/** What keeps a gateway from being drained, in words; null when nothing is active or due. */
export function inflightBusy(flight: GatewayInflightData | undefined, now: number): string | null {
  if (!flight?.reachable) return null; // Nothing to wait for that can be seen: the restart is the fix.
  const parts: string[] = [];
  const active = flight.tasks?.active ?? 0;
  if (active > 0) parts.push(`${active} active task(s)`);
  const due = (flight.cron?.dueSoon ?? []).filter((j) => j.nextRunAtMs - now <= CRON_DUE_MARGIN_MS);
  if (due.length > 0) parts.push(`cron due: ${due.map((j) => escapeMrkdwn(j.name)).join(", ")}`);
  return parts.length > 0 ? parts.join(", ") : null;
}

export function describeInflight(flight: GatewayInflightData | undefined): string {
  if (!flight) return "In flight: unknown (the gateway did not answer).";
  if (!flight.reachable)
    return `In flight: unknown, the gateway refused the agent (${escapeMrkdwn(flight.error ?? "no answer")}).`;
  const due = flight.cron?.dueSoon ?? [];
  return `In flight: ${flight.sessions?.count ?? "?"} session(s), ${flight.tasks?.active ?? "?"} active task(s), ${flight.cron ? due.length : "?"} cron job(s) due within 10 min${due.length ? ` (${due.map((j) => escapeMrkdwn(j.name)).join(", ")})` : ""}.`;
}
