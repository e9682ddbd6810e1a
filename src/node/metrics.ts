import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import {
  type CounterName,
  type GaugeName,
  type HistogramName,
  METRIC_CATALOG,
  type MetricLabels,
  type MetricName,
  type Metrics,
} from "../core/ports/metrics.ts";

/** Every exported name starts with this; the process defaults (process_*, nodejs_*) keep theirs. */
export const METRIC_PREFIX = "clawops_";

/**
 * Node's default metrics describe the process, not one control plane: collected once per
 * process (their event-loop monitor and GC observer are not stoppable), shared by every registry.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** A label value Prometheus gets: short and plain, so a strange value cannot grow the series without bound. */
function labelValue(value: string): string {
  return /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : "other";
}

function labelsFor(labels: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = labelValue(v);
  return out;
}

/**
 * The core's Metrics port on prom-client: the catalog of src/core/metrics.ts in a registry of
 * its own (one per control plane, so two in one process do not share counts), exported with
 * Node's default process metrics (CPU, memory, event-loop lag, GC).
 */
export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly exported: Registry;

  /**
   * `gauges` are read at every scrape (agents_connected: the hub's open connections).
   * `processMetrics: false` leaves out Node's defaults (CPU, memory, event loop, GC).
   */
  constructor(gauges: Record<GaugeName, () => number>, opts: { processMetrics?: boolean } = {}) {
    for (const [name, spec] of Object.entries(METRIC_CATALOG) as [MetricName, (typeof METRIC_CATALOG)[MetricName]][]) {
      const base = {
        name: `${METRIC_PREFIX}${name}`,
        help: spec.help,
        labelNames: [...spec.labels] as string[],
        registers: [this.registry],
      };
      if (spec.type === "counter") this.counters.set(name, new Counter(base));
      else if (spec.type === "histogram") {
        this.histograms.set(name, new Histogram({ ...base, buckets: [...("buckets" in spec ? spec.buckets : [])] }));
      } else {
        const read = gauges[name as GaugeName];
        new Gauge({
          ...base,
          collect() {
            this.set(read());
          },
        });
      }
    }
    // A merged registry holds the metrics registered so far: the catalog is complete here.
    this.exported = opts.processMetrics === false ? this.registry : Registry.merge([processMetrics(), this.registry]);
  }

  count<N extends CounterName>(name: N, labels: MetricLabels<N>, by = 1): void {
    this.counters.get(name)?.inc(labelsFor(labels), by);
  }

  observe<N extends HistogramName>(name: N, labels: MetricLabels<N>, value: number): void {
    if (Number.isFinite(value)) this.histograms.get(name)?.observe(labelsFor(labels), value);
  }

  /** The text exposition format, with its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.exported.contentType, body: await this.exported.metrics() };
  }
}
