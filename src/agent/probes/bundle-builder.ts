import type { BundleCollectData, BundleFile, BundleRedaction } from "../../contract/catalog.ts";
import { compareCodeUnits, isoTime } from "../icu-free.ts";
import { sanitize } from "./bundle-sanitize.ts";
import { countRedactions, redactTextCounted } from "./redact.ts";
import { redactWithRuleSet } from "./redact-rule-set.ts";

/** The bundle's files as they are collected: sanitized and redacted on the way in, counted, and cut to the wire cap. */
export class BundleBuilder {
  private readonly files: BundleFile[] = [];
  private readonly redactions: BundleRedaction[] = [];
  private readonly skipped: { name: string; reason: string }[] = [];
  private readonly secrets: readonly string[];

  constructor(secrets: readonly string[]) {
    this.secrets = secrets;
  }

  /** `original`: the text before an earlier redaction pass (the config's by-field pass), so its removals count too. */
  add(name: string, content: string, state: { complete: boolean; reason?: string }, original?: string): void {
    const { text } = redactTextCounted(sanitize(content).text, this.secrets);
    const before = countRedactions(original ?? content);
    for (const [kind, n] of countRedactions(text)) {
      const count = n - (before.get(kind) ?? 0);
      if (count > 0) this.redactions.push({ file: name, kind, count });
    }
    this.files.push({
      name,
      content: text,
      complete: state.complete,
      ...(state.reason ? { reason: state.reason } : {}),
    });
  }

  /** After the patterns: the rule set over every file, its removals counted in the report too. */
  async redactWithRuleSet(): Promise<void> {
    for (const file of this.files) {
      const { text, counts } = await redactWithRuleSet(file.content);
      file.content = text;
      for (const [kind, count] of counts) this.redactions.push({ file: file.name, kind, count });
    }
  }

  skip(name: string, reason: string): void {
    this.skipped.push({ name, reason: reason.slice(0, 500) });
  }

  /** Cuts the largest files until the whole result fits one wire frame. */
  finish(maxBytes: number): BundleCollectData {
    const sizeOf = (f: BundleFile) => Buffer.byteLength(JSON.stringify(f));
    let total = this.files.reduce((n, f) => n + sizeOf(f), 0) + 4_096;
    const cuts: string[] = [];
    while (total > maxBytes) {
      const largest = [...this.files].sort((a, b) => sizeOf(b) - sizeOf(a))[0];
      if (!largest) break;
      const over = total - maxBytes;
      const before = sizeOf(largest);
      // JSON escaping can double a character; cut generously and keep the newest end of logs.
      const keep = Math.max(0, largest.content.length - over - 1_024);
      const kept = largest.name.startsWith("logs/") ? largest.content.slice(-keep) : largest.content.slice(0, keep);
      const note = `cut to ${keep} of ${largest.content.length} characters to fit the ${Math.round(maxBytes / 1024)} KiB transfer limit`;
      largest.content = kept;
      largest.complete = false;
      largest.reason = largest.reason ? `${largest.reason}; ${note}` : note;
      cuts.push(largest.name);
      total -= before - sizeOf(largest);
      if (keep === 0) break;
    }
    return {
      collectedAt: isoTime(),
      files: this.files.sort((a, b) => compareCodeUnits(a.name, b.name)),
      redactions: this.redactions,
      skipped: this.skipped,
      ...(cuts.length ? { capped: `cut to fit the transfer limit: ${[...new Set(cuts)].join(", ")}` } : {}),
    };
  }
}
