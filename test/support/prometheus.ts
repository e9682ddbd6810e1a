import {
  getMetricsFromIterator,
  type PromData,
  type PromHistogramData,
  type PromMetric,
  type PromMetrics,
} from "prom2javascript";

/**
 * Reads a /metrics answer the way a Prometheus server does: prom2javascript parses the text
 * exposition format (HELP, TYPE, samples with escaped labels, histograms per label set) and
 * throws on any line it cannot read; then samples are looked up by family and labels.
 * A value is read as Prometheus's float parser (Go's ParseFloat) reads it: prom2javascript knows
 * `+Inf` only, so a NaN (prom-client writes `Nan`, e.g. an event-loop histogram's mean with no
 * sample since the last scrape) or `-Inf` is handed to it as a marker number and put back after.
 */
export class Scrape {
  readonly families: PromMetrics;

  private constructor(families: PromMetrics) {
    this.families = families;
  }

  static async parse(text: string): Promise<Scrape> {
    const special = new Map<number, number>();
    const lines = text.split("\n").map((line) => {
      const m = /^([^#\s].*\s)(\S+)$/.exec(line);
      const value = m?.[2] ? goSpecial(m[2]) : undefined;
      if (value === undefined || !m) return line;
      const marker = -(special.size + 1) * 1e300;
      special.set(marker, value);
      return `${m[1]}${marker}`;
    });
    const families = await getMetricsFromIterator(lines[Symbol.iterator]());
    if (special.size > 0) {
      const back = (v: number) => special.get(v) ?? v;
      for (const family of Object.values(families)) {
        for (const d of family.data as unknown as Partial<PromData & PromHistogramData>[]) {
          if (d.value !== undefined) d.value = back(d.value);
          if (d.sum !== undefined) d.sum = back(d.sum);
        }
      }
    }
    return new Scrape(families);
  }

  family(name: string): PromMetric | undefined {
    return this.families[name];
  }

  private matching<T extends { labels: Record<string, string> }>(name: string, labels: Record<string, string>): T[] {
    const data = (this.family(name)?.data ?? []) as unknown as T[];
    return data.filter((d) => Object.entries(labels).every(([k, v]) => d.labels[k] === v));
  }

  /** The sum of the matching samples' values (a counter or gauge); 0 when none. */
  value(name: string, labels: Record<string, string> = {}): number {
    return this.matching<PromData>(name, labels).reduce((n, d) => n + d.value, 0);
  }

  /** The matching histogram series. */
  histograms(name: string, labels: Record<string, string> = {}): PromHistogramData[] {
    return this.matching<PromHistogramData>(name, labels);
  }

  /** The sum of the matching histogram series' counts; 0 when none. */
  count(name: string, labels: Record<string, string> = {}): number {
    return this.histograms(name, labels).reduce((n, d) => n + d.count, 0);
  }
}

export async function scrape(url: string, token: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  expectTextFormat(res.headers.get("content-type"));
  return Scrape.parse(await res.text());
}

function expectTextFormat(contentType: string | null): void {
  if (!/^text\/plain; version=0\.0\.4/.test(contentType ?? "")) {
    throw new Error(`/metrics answered as ${contentType}, not the text exposition format`);
  }
}

/** NaN, or ±Inf/Infinity, in any case, as Go's ParseFloat reads them; undefined for anything else. */
function goSpecial(token: string): number | undefined {
  if (/^nan$/i.test(token)) return Number.NaN;
  const inf = /^([+-]?)inf(inity)?$/i.exec(token);
  if (inf) return inf[1] === "-" ? -Infinity : Infinity;
  return undefined;
}
