import type { StepName, StepResult } from "../../contract/catalog.ts";
import { LAYER_LABELS, LAYERS, type Layer, type LayerStatus, statusRank } from "../vocabulary/layers.ts";
import { classifyResults } from "./classify.ts";
import { logNotRead } from "./log-evidence.ts";

/**
 * What one probe found on its own, for the probe list of a triage's progress message: a probe
 * that ran and found the gateway refusing is not a ✅ beside "Transport: fail". The probe's
 * result is classified alone (the same rules as the matrix, given only this probe's data);
 * its outcome is the worst layer it judged, with that layer's reason.
 */
export interface StepOutcome {
  /** `ok` also for a probe that ran and judged no layer (nothing wrong in what it read). */
  status: Exclude<LayerStatus, "unknown">;
  /** For `fail` and `warn`: the layer and why, e.g. "Transport: WebSocket refused". */
  note: string | null;
}

const NOT_CHECKED = "not checked by this probe set";

/** The layers a probe reads directly (others it may judge through a rule's inference). */
const MEASURES: Partial<Record<StepName, readonly Layer[]>> = {
  "gateway.ws": ["transport", "auth", "scope"],
  "gateway.http": ["transport"],
  "port.listeners": ["port", "process"],
  config: ["config", "workspace"],
  tokens: ["auth"],
  "models.status": ["model_routing"],
  "service.state": ["service"],
};

export function stepOutcome(r: StepResult): StepOutcome {
  if (r.status !== "ok") return { status: "fail", note: null };
  const { matrix } = classifyResults([r], [r.step]);
  let worst: StepOutcome = { status: "ok", note: null };
  // The layers the probe reads itself first: on a tie, its own layer names the outcome.
  const own = MEASURES[r.step] ?? [];
  for (const layer of [...own, ...LAYERS.filter((l) => !own.includes(l))]) {
    const cell = matrix[layer];
    if (cell.status === "unknown" || cell.reason === NOT_CHECKED) continue;
    if (cell.status !== "ok" && statusRank(cell.status) > statusRank(worst.status))
      worst = { status: cell.status, note: `${LAYER_LABELS[layer]}: ${cell.reason}` };
  }
  // /healthz alone judges the transport only when it answers 200; refused or failing, it says so.
  if (worst.status === "ok" && r.step === "gateway.http" && r.data) {
    const h = r.data.healthz;
    if (h.status !== 200) worst = { status: "fail", note: `/healthz ${h.status ?? h.error ?? "no answer"}` };
  }
  // A log step that found a log and could not read it ran, and read nothing: never a ✅ (issue 46).
  if (worst.status === "ok" && r.step === "logs.signatures" && r.data) {
    const notRead = logNotRead({ "logs.signatures": r.data, missing: {} });
    if (notRead) worst = { status: "warn", note: `gateway log not read: ${notRead.why}` };
  }
  return worst;
}
