import type { StepResult } from "../../contract/catalog.ts";
import { QUICK_PROBE_DEADLINE_MS, quickProbeSteps } from "../../contract/watch.ts";
import { classifyResults } from "../classify/classify.ts";
import type { WatchObservation } from "../ports/watch-record.ts";
import { LAYERS, type Layer, type LayerStatus, statusRank } from "../vocabulary/layers.ts";
import { watchAttributes } from "./watch-attributes.ts";

const QUICK_STEP_NAMES = quickProbeSteps(QUICK_PROBE_DEADLINE_MS).map((s) => s.step);

/**
 * One quick probe, classified by the same classifier as a triage: failing when a layer fails
 * or a finding names a false green (a check operators trust, green while a layer is broken).
 */
export function watchObservation(
  results: readonly StepResult[],
  probe: { at: number; seq: number; hash: string },
): WatchObservation {
  const c = classifyResults(results, QUICK_STEP_NAMES);
  const layers: Partial<Record<Layer, LayerStatus>> = {};
  let worst: LayerStatus = "ok";
  let reason = "every probed layer ok";
  for (const l of LAYERS) {
    const cell = c.matrix[l];
    if (cell.status === "unknown") continue;
    layers[l] = cell.status;
    if (statusRank(cell.status) > statusRank(worst)) {
      worst = cell.status;
      reason = cell.reason;
    }
  }
  const failing = c.findings.filter((f) => f.severity === "fail" || f.falseGreen !== null);
  const top = failing[0] ?? (worst !== "ok" ? c.findings[0] : undefined);
  if (top) reason = top.title;
  return {
    at: probe.at,
    seq: probe.seq,
    hash: probe.hash,
    healthy: worst !== "fail" && failing.length === 0,
    layers,
    findingIds: failing.map((f) => f.id),
    reason,
    falseGreen: failing.find((f) => f.falseGreen !== null)?.falseGreen ?? null,
    ...attributesOf(results),
  };
}

function attributesOf(results: readonly StepResult[]): Pick<WatchObservation, "attributes"> {
  const attributes = watchAttributes(results);
  return attributes ? { attributes } : {};
}
