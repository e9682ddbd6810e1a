import type { StepName } from "../../contract/catalog.ts";
import { classifyResults } from "../classify/classify.ts";
import type { FleetRow, ProbeTarget } from "../ports/fleet.ts";
import type { JobOutcome } from "../ports/transport.ts";
import { LAYERS, type Layer, type LayerStatus, statusRank } from "../vocabulary/layers.ts";

/** A host's row from its quick probe's outcome (or its deadline passing first). */
export function rowFor(
  h: ProbeTarget,
  outcome: JobOutcome | "deadline",
  steps: StepName[],
  deadlineMs: number,
): FleetRow {
  const host = h.name;
  if (outcome === "deadline") {
    return { host, state: "no-answer", layers: {}, reason: `no answer within ${(deadlineMs / 1000).toFixed(1)} s` };
  }
  if (outcome.status === "rejected") {
    return { host, state: "no-answer", layers: {}, reason: `agent refused the probe: ${outcome.error.message}` };
  }
  if (outcome.status === "lost" && outcome.offline) {
    const seen = h.lastSeenAt ? `last seen ${new Date(h.lastSeenAt).toISOString()}` : "never connected";
    return { host, state: "offline", layers: {}, reason: `agent not connected (${seen})` };
  }
  if (outcome.status === "lost") return { host, state: "no-answer", layers: {}, reason: outcome.reason };
  const c = classifyResults(outcome.results, steps);
  const layers: Partial<Record<Layer, LayerStatus>> = {};
  let worst: LayerStatus = "ok";
  let reason = "every probed layer ok";
  for (const l of LAYERS) {
    const cell = c.matrix[l];
    layers[l] = cell.status;
    if (cell.status !== "unknown" && statusRank(cell.status) > statusRank(worst)) {
      worst = cell.status;
      reason = cell.reason;
    }
  }
  const top = c.findings[0];
  if (top && worst !== "ok") reason = top.title;
  if (outcome.status === "timeout") reason = `${reason} (some probes did not finish)`;
  return { host, state: worst === "fail" ? "fail" : worst === "warn" ? "warn" : "ok", layers, reason };
}
