import type { Layer } from "../vocabulary/layers.ts";
import type { Evidence } from "./evidence.ts";

export type Severity = "fail" | "warn";
export type Confidence = "high" | "medium" | "low";

/**
 * One entry of the findings catalog. Everything but `match` is data a person reads;
 * `match` returns the evidence lines it found (quoted probe output) or null.
 */
export interface Rule {
  id: string;
  layer: Layer;
  severity: Severity;
  confidence: Confidence;
  title: string;
  /** One paragraph in plain words: what is wrong and why it shows this way. */
  explanation: string;
  /** Next commands, from the seeds' runbooks and ladders, in the order to run them. */
  nextCommands: string[];
  /**
   * A standing condition of the install (a fresh gateway without model credentials), not
   * something specific to this gateway now: ranked after every incident-specific finding of the
   * same severity, whatever its confidence.
   */
  background?: boolean;
  /** Next commands that depend on the evidence (the gateway's own advice); null: `nextCommands`. */
  commands?: (e: Evidence) => string[] | null;
  /** If a common check reports healthy while this layer is broken, which one lies. */
  falseGreen?: (e: Evidence) => string | null;
  match: (e: Evidence) => string[] | null;
}

export interface Finding {
  id: string;
  layer: Layer;
  severity: Severity;
  confidence: Confidence;
  title: string;
  explanation: string;
  evidence: string[];
  nextCommands: string[];
  falseGreen: string | null;
  /** The one check that would confirm this finding (rule-checks.ts). */
  wouldConfirm: string | null;
  /** The one check that would rule it out. */
  wouldRuleOut: string | null;
  /**
   * Id of a higher-ranked finding whose evidence contains all of this one's: the same lines
   * explained twice, so this one is most likely a consequence of that root cause.
   */
  explainedBy: string | null;
}
