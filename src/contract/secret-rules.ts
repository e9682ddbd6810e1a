import { lintSource } from "@secretlint/core";
import { secretLintProfiler } from "@secretlint/profiler";
import { rules as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import type { SecretLintCoreConfig } from "@secretlint/types";

/**
 * A well-kept secret-detection rule set instead of a growing list of our own patterns (issue
 * 15, item 3): secretlint's recommended preset (AWS, GCP, GitHub, GitLab, Slack, npm, OpenAI,
 * Anthropic, Stripe, SendGrid, private keys, database connection strings, basic auth, …).
 * @secretlint/core is plain ECMAScript with no Node built-in on its path (its profiler and
 * `debug` pick their browser builds in workerd), so the same rules run on the agent, on the
 * Node control plane and in workerd.
 */
export const RULE_SET = "secretlint recommended preset 13.0.7";

export type RuleSetHit = {
  /** The rule's short name, e.g. `aws`, `database-connection-string` (never the value). */
  rule: string;
  /** What the rule says it found, e.g. `AWSSecretAccessKey`. */
  messageId: string;
  /** UTF-16 offsets into the text, end exclusive. */
  start: number;
  end: number;
};

/**
 * The preset's rules one by one, less `filter-comments`: `secretlint-disable` comments are for
 * a repository's own files, while this text comes from a gateway's logs and CLI output, where
 * such a line must not switch a rule off. (Registered singly because 13.0.7 ignores
 * `disabled` on a rule inside a preset.)
 */
const CONFIG: SecretLintCoreConfig = {
  rules: recommended
    .filter((rule) => rule.meta.id !== "@secretlint/secretlint-rule-filter-comments")
    .map((rule) => ({ id: rule.meta.id, rule })),
};

/**
 * secretlint's profiler is on by default: each `lintSource` left about 35 KB of
 * `performance.mark`/`measure` entries in the runtime's performance timeline and in the
 * profiler's own lists, never cleared. Every step result the agent sends goes through these rules,
 * so its heap grew by some 140 KB per watch probe (16 MB an hour at the default 30 s); the
 * control plane's scans grew it too. Nothing here reads the profile.
 */
secretLintProfiler.setEnabled(false);

export async function findWithRuleSet(text: string, where = "text"): Promise<RuleSetHit[]> {
  if (text.length === 0) return [];
  const result = await lintSource({
    source: { filePath: `/${where}`, content: text, contentType: "text" },
    options: { config: CONFIG, maskSecrets: true },
  });
  return result.messages.map((m) => ({
    rule: (m.ruleId ?? "unknown").replace(/^@secretlint\/secretlint-rule-/, ""),
    messageId: m.messageId ?? "unknown",
    start: m.range[0],
    end: m.range[1],
  }));
}
