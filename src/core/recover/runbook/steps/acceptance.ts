import { escapeMrkdwn } from "../../../messages/build.ts";
import type { RunbookStep } from "../step.ts";

/** 6. Acceptance: one read-only call and one write call through the restarted gateway. */
export const acceptGateway: RunbookStep = async (ctx, at) => {
  await at.set("running", "");
  const {
    results: [acc],
  } = await ctx.dispatch("acceptance", [{ step: "gateway.acceptance", args: {} }], 20_000);
  const a = acc?.step === "gateway.acceptance" ? acc.data : undefined;
  // A scratch session the delete could not remove stays on the gateway: say so, with its label.
  const leftBehind =
    a?.cleanup && !a.cleanup.ok
      ? `; scratch session \`clawops-acceptance-*\` not deleted (${escapeMrkdwn(a.cleanup.error ?? "failed")})`
      : "";
  const text = a
    ? `read \`${a.read?.method ?? "status"}\` ${a.read?.ok ? "ok" : "failed"}, write \`${a.write?.method ?? "sessions.create"}\` ${a.write?.ok ? "ok" : "failed"}${a.error ? ` (${escapeMrkdwn(a.error)})` : ""}${leftBehind}`
    : "no answer";
  if (!a?.passed) return { fail: text, why: `acceptance failed: ${text}.` };
  await at.set("ok", text);
  return "next";
};
