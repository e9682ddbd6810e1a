import { DEFAULT_STEP_DEADLINE_MS } from "../../../../contract/catalog.ts";
import { CONFIRMATION_TTL_MS } from "../../../confirmations/confirm.ts";
import { escapeMrkdwn } from "../../../messages/build.ts";
import { mention } from "../../../messages/format.ts";
import { freezeLostWhy, runFreeze } from "../freeze-state.ts";
import type { RunbookStep, StepEnd } from "../step.ts";
import {
  describeInflight,
  drainingEnd,
  drainingNow,
  type InflightRead,
  inflightReader,
  waitUntilDrained,
} from "./inflight.ts";
import { serviceDriftGate } from "./service-gate.ts";

/**
 * 5. Ordered restart: a service definition that would start something else stops it first
 * (service-gate.ts); then what is in flight, the operator's confirmation (now, or once drained),
 * and the restart through the agent with the signed approval. A gateway already draining for a
 * stop or restart is not restarted: drainGate reads it before asking and while a drain is awaited,
 * and the agent's own `gateway.restart` reads `/readyz` again just before it restarts (a new read
 * here would add a step name, which a running Workflow instance replays by name).
 */
export const restartGateway: RunbookStep = async (ctx, at) => {
  const drift = serviceDriftGate(ctx);
  if (drift) return drift;
  await at.set("running", "reading what is in flight on the gateway");
  const read = inflightReader(ctx);
  const first = await read();
  const draining = drainGate(first);
  if (draining) return draining;
  const askId = await ctx.ask(
    "gateway.restart",
    `${describeInflight(first.flight)}${first.busy ? " Approve now, or approve once drained and the run waits until nothing is active." : ""}`,
    first.busy !== null,
  );
  await at.set("running", "waiting for confirmation");
  const decision = await ctx.fx.decision("decision gateway.restart", askId, CONFIRMATION_TTL_MS);
  if (decision.decision === "timeout") await ctx.expireAsk("gateway.restart", askId);
  if (decision.decision !== "approve") {
    // An approval pressed after the freeze went is refused and ends the wait: say that, not "cancelled".
    const held = await runFreeze(ctx, "freeze after gateway.restart's answer");
    if (held.kind !== "held") return { fail: "its freeze was lifted", why: freezeLostWhy(held, ctx.host, "a restart") };
    return decision.decision === "cancel"
      ? { fail: `cancelled by ${mention(decision.by)}`, why: "the restart was cancelled." }
      : { fail: "no confirmation in time", why: "nobody confirmed the restart in time." };
  }
  if (decision.whenDrained) {
    const drained = await waitUntilDrained(ctx, at, read, decision.by);
    if (drained !== "next") return drained;
  }
  // The freeze a restart needs may have been lifted while the button waited (issue 33, item 5).
  const freeze = await runFreeze(ctx, "freeze before gateway.restart");
  if (freeze.kind !== "held")
    return { fail: "its freeze was lifted", why: freezeLostWhy(freeze, ctx.host, "a restart") };
  await at.set("running", `approved by ${mention(decision.by)}; restarting`);
  const {
    results: [restart],
  } = await ctx.dispatch(
    "restart",
    [{ step: "gateway.restart", args: { approval: decision.approval } }],
    DEFAULT_STEP_DEADLINE_MS["gateway.restart"] + 5_000,
  );
  const r = restart?.step === "gateway.restart" ? restart.data : undefined;
  if (!r?.performed || r.error) {
    const why = escapeMrkdwn(r?.refused ?? r?.error ?? restart?.error?.message ?? "no answer from the agent");
    return { fail: why, why: `the restart did not happen: ${why}` };
  }
  const seconds = (ms: number | undefined) => Math.round((ms ?? 0) / 100) / 10;
  await at.set(
    "ok",
    `${r.supervisor}${r.unit ? ` (${escapeMrkdwn(r.unit)})` : ""}: pid ${r.oldPid} exited after ${seconds(r.exitedAfterMs)} s, pid ${r.newPid} ready after ${seconds(r.readyAfterMs)} s`,
  );
  return "next";
};

/** The first read already shows a drain: nobody is asked to confirm a restart over it. */
export function drainGate(read: InflightRead): Exclude<StepEnd, "next"> | null {
  const draining = drainingNow(read.flight);
  return draining ? drainingEnd(draining) : null;
}
