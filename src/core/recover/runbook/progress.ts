import { section } from "../../messages/build.ts";
import type { Message } from "../../messages/model.ts";

/**
 * The run's one live message: the six steps of the seeds' runbook (connection-error article,
 * section 3), each with its state and a line of detail, edited in place as the run goes.
 */
export const RECOVER_STEP_TITLES = [
  "Freeze",
  "State snapshot (versions, status, token rotation, config edits)",
  "Workspace and model routing",
  "Doctor / config validate",
  "Ordered restart",
  "Acceptance: one read, one write",
] as const;

export type RecoverStepState = "pending" | "running" | "ok" | "warn" | "fail" | "skipped";
export interface StepView {
  state: RecoverStepState;
  detail: string;
}
export type RunPhase = "running" | "done" | "stopped";

const ICON: Record<RecoverStepState, string> = {
  pending: "⏳",
  running: "🔄",
  ok: "✅",
  warn: "🟡",
  fail: "❌",
  skipped: "⏭️",
};

export function renderRecoverProgress(
  host: string,
  runId: string,
  steps: readonly StepView[],
  phase: RunPhase,
): Message {
  const head = phase === "running" ? "🛠️ Recovering" : phase === "done" ? "✅ Recovered" : "🧊 Recovery stopped:";
  const lines = steps.map(
    (s, i) => `${ICON[s.state]} *${i + 1}. ${RECOVER_STEP_TITLES[i]}*${s.detail ? ` — ${s.detail}` : ""}`,
  );
  return {
    text: `${head.replace(/^\S+ /, "")} ${host} (${steps.filter((s) => s.state === "ok").length}/6 steps ok)`,
    parts: [section(`${head} *${host}* (run \`${runId}\`)`), section(lines.join("\n"))],
  };
}
