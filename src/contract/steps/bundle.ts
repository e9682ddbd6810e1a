import { z } from "zod";
import { defineStep, Timeout } from "../step.ts";

/**
 * A bundle's files travel in one `job.progress` and one `job.result` frame, each capped at
 * 1 MiB by both ends (agent-hub.ts, connection.ts); this leaves room for the other steps.
 */
export const BUNDLE_MAX_WIRE_BYTES = 640 * 1024;

/** One file of a repro bundle, already redacted on the host. */
export const BundleFile = z.object({
  /** Relative path inside the bundle, e.g. `logs/around-last-start.log`. */
  name: z.string().min(1).max(200),
  content: z.string(),
  /** False when something is missing: cut at a size bound, a command timed out, binary lines dropped. */
  complete: z.boolean(),
  /** Why the file is partial (or a note on how it was made). */
  reason: z.string().optional(),
});
export type BundleFile = z.infer<typeof BundleFile>;

export const BundleRedaction = z.object({
  file: z.string(),
  /** `[REDACTED:<kind>]` kind: known-secret, bearer, slack-token, private-key, … */
  kind: z.string(),
  count: z.number().int().nonnegative(),
});
export type BundleRedaction = z.infer<typeof BundleRedaction>;

export const BundleCollectData = z.object({
  collectedAt: z.string(),
  files: z.array(BundleFile),
  /** What host-side redaction removed, per file and kind (never the values). */
  redactions: z.array(BundleRedaction),
  /** Files the agent meant to collect but could not, with the reason. */
  skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
  /** Set when files were dropped or cut to keep the result under the wire frame size. */
  capped: z.string().optional(),
});
export type BundleCollectData = z.infer<typeof BundleCollectData>;

export const bundleCollect = defineStep({
  name: "bundle.collect",
  args: z
    .object({
      timeoutMs: Timeout.optional(),
      /** Cap on the redacted file contents, bytes of JSON; the wire frame is at most 1 MiB. */
      maxBytes: z.number().int().min(4_096).max(BUNDLE_MAX_WIRE_BYTES).optional(),
      /** Lines kept before and after each anchor (last gateway start, last disconnect). */
      contextLines: z.number().int().min(10).max(1_000).optional(),
    })
    .strict(),
  result: BundleCollectData,
  // Three CLI commands (doctor --lint alone takes 8–14 s) plus bounded file reads.
  deadlineMs: 30_000,
});
