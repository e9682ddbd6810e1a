import { z } from "zod";

/**
 * The seeds' root cause is "many layers of health squeezed into one boolean", so every
 * answer clawops gives is a matrix over these layers, never a single ok/fail.
 */
export const LAYERS = [
  "process",
  "port",
  "transport",
  "auth",
  "scope",
  "config",
  "workspace",
  "model_routing",
  "policy",
  "channels",
  "service",
  "scheduler",
] as const;

export const Layer = z.enum(LAYERS);
export type Layer = z.infer<typeof Layer>;

export const LayerStatus = z.enum(["ok", "warn", "fail", "unknown"]);
export type LayerStatus = z.infer<typeof LayerStatus>;

export const LAYER_LABELS: Record<Layer, string> = {
  process: "Process",
  port: "Port",
  transport: "Transport",
  auth: "Auth",
  scope: "Scope",
  config: "Config",
  workspace: "Workspace",
  model_routing: "Model routing",
  policy: "Policy",
  channels: "Channels",
  service: "Service",
  scheduler: "Scheduler",
};

/** Higher is worse. `unknown` ranks below `warn`: not knowing is not evidence of a fault. */
const RANK: Record<LayerStatus, number> = { ok: 0, unknown: 1, warn: 2, fail: 3 };

export function worseStatus(a: LayerStatus, b: LayerStatus): LayerStatus {
  return RANK[b] > RANK[a] ? b : a;
}

export function statusRank(s: LayerStatus): number {
  return RANK[s];
}
