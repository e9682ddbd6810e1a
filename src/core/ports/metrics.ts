import type { StepResult } from "../../contract/catalog.ts";
import type { JobRecord } from "./store.ts";
import type { HostTransport } from "./transport.ts";

/**
 * What the control plane counts: one fixed catalog, so every runtime exports the same names
 * and labels, and the docs (docs/monitoring.md) list them from here. The Node runtime exports
 * them for Prometheus (src/node/metrics.ts, each name prefixed `clawops_`); a runtime without a
 * `Metrics` (Workers today) counts nothing. Label values are short, bounded words (a command
 * kind, a step name, Slack's error code): never a host name, a user or free text.
 */
export const METRIC_CATALOG = {
  commands_total: {
    type: "counter",
    help: "Commands received (Slack, console, CLI), by command kind and outcome: ok, refused (a clear no: unknown host, not authorized, bad syntax…), error (a fault inside clawops), duplicate (a retried or replayed request, not run again).",
    labels: ["command", "outcome"],
  },
  jobs_finished_total: {
    type: "counter",
    help: "Host jobs (triage, bundle) that ended, by kind and final status: done, lost, timeout, rejected.",
    labels: ["kind", "outcome"],
  },
  job_duration_seconds: {
    type: "histogram",
    help: "Time from a job's creation (the command) to its end, queueing on the host included, by kind and final status.",
    labels: ["kind", "outcome"],
    buckets: [0.5, 1, 2.5, 5, 10, 15, 20, 30, 45, 60, 120, 300],
  },
  step_duration_seconds: {
    type: "histogram",
    help: "How long each catalog step (probe) took on the host, as the agent measured it, by step name and status (ok = the probe ran; error; timeout).",
    labels: ["step", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30],
  },
  agents_connected: {
    type: "gauge",
    help: "Agents holding an open, authenticated connection to this control plane's hub.",
    labels: [],
  },
  slack_api_errors_total: {
    type: "counter",
    help: "Slack calls that failed for good, by method (chat.postMessage, upload, response_url…) and Slack's error (not_in_channel, ratelimited, http_503, network…).",
    labels: ["method", "error"],
  },
  slack_api_retries_total: {
    type: "counter",
    help: "Slack calls retried after a rate limit, a 5xx or a network failure, by method and the error retried.",
    labels: ["method", "error"],
  },
  alerts_received_total: {
    type: "counter",
    help: "Alerts received on the alert webhooks, by source (e.g. alertmanager).",
    labels: ["source"],
  },
  pages_total: {
    type: "counter",
    help: "Pages delivered to the team's pager or given up, by pager (pagerduty, opsgenie, webhook), action (trigger, acknowledge, resolve) and outcome (sent, retrying, failed).",
    labels: ["pager", "action", "outcome"],
  },
  incident_ack_seconds: {
    type: "histogram",
    help: "Time to acknowledge (MTTA): from an incident's opening to the first \"I'm on it\" or its page's acknowledgement, by source and severity.",
    labels: ["source", "severity"],
    buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200],
  },
  incident_resolve_seconds: {
    type: "histogram",
    help: "Time to resolve (MTTR): from an incident's opening to its resolve, by source and severity.",
    labels: ["source", "severity"],
    buckets: [60, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400, 259200],
  },
} as const satisfies Record<
  string,
  { type: "counter" | "gauge" | "histogram"; help: string; labels: readonly string[]; buckets?: readonly number[] }
>;

export type MetricCatalog = typeof METRIC_CATALOG;
export type MetricName = keyof MetricCatalog;
type NamesOf<T extends string> = { [K in MetricName]: MetricCatalog[K]["type"] extends T ? K : never }[MetricName];
export type CounterName = NamesOf<"counter">;
export type HistogramName = NamesOf<"histogram">;
/** Gauges are read by the runtime at scrape time: it gives one reader per gauge of the catalog. */
export type GaugeName = NamesOf<"gauge">;
/** A metric's labels, each named by the catalog: `{ command: "triage", outcome: "ok" }`. */
export type MetricLabels<N extends MetricName> = Record<MetricCatalog[N]["labels"][number], string>;

/**
 * The metrics port. Gauges (agents_connected) are read by the runtime at scrape time, so the
 * core only counts and observes. Implementations never throw into the caller.
 */
export interface Metrics {
  count<N extends CounterName>(name: N, labels: MetricLabels<N>, by?: number): void;
  /** `value` in the metric's unit (seconds for `*_seconds`). */
  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void;
}

/** Counts nothing: the default where a runtime has no metrics (Workers, tests). */
export const NO_METRICS: Metrics = {
  count() {},
  observe() {},
};

/** The deps' metrics, or none. */
export function metricsOf(deps: { metrics?: Metrics | undefined }): Metrics {
  return deps.metrics ?? NO_METRICS;
}

/** A finished job, counted and timed (nothing for a job still running). */
export function recordJobFinished(
  metrics: Metrics,
  job: Pick<JobRecord, "kind" | "status" | "createdAt" | "finishedAt">,
) {
  if (job.status === "running") return;
  const labels = { kind: job.kind, outcome: job.status };
  metrics.count("jobs_finished_total", labels);
  if (job.finishedAt !== null && job.finishedAt >= job.createdAt) {
    metrics.observe("job_duration_seconds", labels, (job.finishedAt - job.createdAt) / 1000);
  }
}

function observeStep(metrics: Metrics, result: StepResult): void {
  if (!Number.isFinite(result.durationMs) || result.durationMs < 0) return;
  metrics.observe("step_duration_seconds", { step: result.step, status: result.status }, result.durationMs / 1000);
}

/**
 * The transport with every step result it brings back timed (step_duration_seconds): each
 * result once, as it streams in or, for those that did not stream (a one-shot agent through
 * SSM, a lost job), from the final outcome. Every other member is the transport's own.
 */
export function measuredTransport<T extends HostTransport>(transport: T, metrics: Metrics): T {
  const dispatch: HostTransport["dispatch"] = async (host, job, onProgress) => {
    const seen = new Set<string>();
    const outcome = await transport.dispatch(host, job, (result) => {
      seen.add(result.step);
      observeStep(metrics, result);
      onProgress(result);
    });
    if (outcome.status !== "rejected") {
      for (const result of outcome.results) if (!seen.has(result.step)) observeStep(metrics, result);
    }
    return outcome;
  };
  // A proxy, not a copy: members added to a transport later (or only on Node's hub) stay reachable.
  return new Proxy(transport, {
    get(target, prop) {
      if (prop === "dispatch") return dispatch;
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
