import { findWithRuleSet, RULE_SET } from "../../contract/secret-rules.ts";
import { type SecretHit, scanText } from "./scan.ts";

/**
 * The control plane's second scan of everything a bundle would carry out (files, manifest,
 * summary): secretlint's recommended rules (rule-set.ts) plus clawops' own structural rules
 * (scan.ts: secret-named keys, any URL userinfo, PEM headers, bearer/basic/x-api-key headers).
 * Runs where the control plane runs, Node or workerd. Any hit refuses the bundle; the result
 * is what the summary reports, so it never says "clean" about a scan that was not.
 */
export type SecondScan = { hits: SecretHit[]; scanned: number; rules: string };

export const SECOND_SCAN_RULES = `${RULE_SET} + clawops rules`;

export async function secondScan(entries: { where: string; text: string }[]): Promise<SecondScan> {
  const hits: SecretHit[] = [];
  for (const e of entries) {
    hits.push(...scanText(e.where, e.text));
    for (const h of await findWithRuleSet(e.text, e.where)) {
      hits.push({ where: e.where, kind: `rule-${h.rule}`, line: lineOf(e.text, h.start) });
    }
  }
  return { hits, scanned: entries.length, rules: SECOND_SCAN_RULES };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
