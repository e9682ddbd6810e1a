/**
 * The control plane's second, independent look for secrets in everything a bundle holds,
 * after the agent redacted on the host. Written apart from the agent's redactor on purpose
 * (its own patterns, no shared code): a gap in one is unlikely to be the same gap in the
 * other. Fail-closed: any hit refuses the bundle. A hit reports kind and place, never the
 * value.
 */

import { digestBefore, generatedValue } from "../secret-scrub-shape.ts";

export type SecretHit = { where: string; kind: string; line: number };

type Detector = { kind: string; pattern: RegExp };

/** A value that is already a redaction marker, a fingerprint or an obvious placeholder. */
const HARMLESS_VALUE =
  /^(?:\[REDACTED:[a-z-]+\]|sha256:[0-9a-f]{6,}|__OPENCLAW_REDACTED__|\$\{[A-Za-z0-9_]+\}?|<[^>]*>|\*+|null|true|false|undefined|none|string|config|env|[0-9.]+)$/i;

const DETECTORS: Detector[] = [
  { kind: "private-key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
  // Any userinfo, with or without a user (`redis://:password@host`, `https://<token>@host`).
  { kind: "url-credentials", pattern: /\b[a-z][a-z0-9+.-]*:\/\/(?!\[REDACTED:)[^\s/?#"'<>]*@/i },
  { kind: "bearer", pattern: /\bBearer\s+(?!\[REDACTED:)[A-Za-z0-9._~+/-]{12,}=*/i },
  { kind: "basic-auth", pattern: /\bBasic\s+(?!\[REDACTED:)[A-Za-z0-9+/]{12,}={0,2}(?![A-Za-z0-9+/])/ },
  { kind: "slack-token", pattern: /\bxox[a-z]-[A-Za-z0-9-]{6,}|\bxapp-\d-[A-Za-z0-9-]{6,}/ },
  { kind: "provider-key", pattern: /\bsk-(?:ant-|proj-|or-)?[A-Za-z0-9_-]{20,}/ },
  {
    kind: "provider-key",
    pattern: /\b(?:AIza[0-9A-Za-z_-]{30,}|gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,})/,
  },
  { kind: "github-token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/ },
  { kind: "aws-access-key", pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/ },
  { kind: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/ },
];

/**
 * `token=…`, `"password": "…"`, `--api-key …`, `X_SECRET=…`: a secret-named key with a value
 * that is not a marker, a fingerprint or a placeholder, and long enough to be a credential.
 */
const SECRET_ASSIGNMENT =
  /(?:^|[^A-Za-z0-9])([A-Za-z0-9_-]*?(?:token|password|passwd|secret|api[_-]?key|apikey|private[_-]?key|client[_-]?secret|devicetoken|authtoken|accesstoken|refreshtoken))["']?\s*(?:=|:|\s)\s*["']?([^\s"',;&)}]{8,})/gi;

/**
 * Issue 15: `AWS_SECRET_ACCESS_KEY = …`, `AccountKey=…`, `DATABASE_DSN=…`, `x-api-key: …`: a
 * name ending in key, credential(s) or dsn, then `=` or `:` (not a space: "missing key FOO"
 * is prose), with a credential-looking value.
 */
const KEY_ASSIGNMENT =
  /(?:^|[^A-Za-z0-9])([A-Za-z0-9_.-]*?(?:key|credentials?|dsn))["']?[ \t]*[=:][ \t]*["']?([^\s"',;&)}]{8,})/gi;

/**
 * Issue 44: a generated value whatever the name beside it (`ACME_LICENSE=…`, `"refresh": "…"`),
 * and a long one with no name (a PEM body line whose BEGIN line is elsewhere). The same
 * judgement the control plane's scrub redacts by (secret-scrub-shape.ts), so what the scrub let
 * through is what this refuses.
 */
const ANY_ASSIGNMENT =
  /(?<![A-Za-z0-9_.-])[A-Za-z_][A-Za-z0-9_.-]*["']?[ \t]*[=:][ \t]*["']?([A-Za-z0-9+/=_.~-]{20,})/g;
const BARE_VALUE = /(?<![A-Za-z0-9+/=_.~-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_~-]|\.[A-Za-z0-9])/g;
const DASHED_VALUE = /(?<![A-Za-z0-9-])[A-Z0-9]{4,8}(?:-[A-Z0-9]{4,8}){2,}(?![A-Za-z0-9-])/g;
const PEM_BODY = /^\s*[A-Za-z0-9+/]{8,}={0,2}\s*$/;

/** Keys whose values are names or fingerprints, not secrets (fields of probe results). */
const NOT_SECRET_KEYS = /^(?:tokensource|tokenconfigured|tokenunresolved|secretref|secretrefs)$/i;

export function scanText(where: string, text: string): SecretHit[] {
  const hits: SecretHit[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    for (const d of DETECTORS) if (d.pattern.test(line)) hits.push({ where, kind: d.kind, line: i + 1 });
    // A digest (`"runningConfigHash": "hmac-sha256:v1:…"`) is a version: the scrub keeps it, so does this.
    const judged = (m: RegExpMatchArray, value: string, min: number) =>
      !digestBefore(line.slice(0, (m.index ?? 0) + m[0].length - value.length).slice(-48)) &&
      generatedValue(value, min);
    const generated =
      [...line.matchAll(ANY_ASSIGNMENT)].some((m) => judged(m, m[1] ?? "", 20)) ||
      [...line.matchAll(BARE_VALUE)].some((m) => judged(m, m[0], 40)) ||
      [...line.matchAll(DASHED_VALUE)].some((m) => judged(m, m[0], 14));
    if (generated) hits.push({ where, kind: "generated-value", line: i + 1 });
    if (/-----END [A-Z0-9 ]*PRIVATE KEY-----/.test(line) && PEM_BODY.test(lines[i - 1] ?? "")) {
      hits.push({ where, kind: "private-key", line: i + 1 });
    }
    for (const m of [...line.matchAll(SECRET_ASSIGNMENT), ...line.matchAll(KEY_ASSIGNMENT)]) {
      const key = m[1] ?? "";
      const value = m[2] ?? "";
      if (NOT_SECRET_KEYS.test(key) || HARMLESS_VALUE.test(value) || value.startsWith("[REDACTED:")) continue;
      // Prose like "token mismatch (provide gateway auth token)": a word, not a credential.
      if (/^[a-z]+$/.test(value) || (!/[0-9]/.test(value) && !/[A-Z]/.test(value))) continue;
      hits.push({ where, kind: "secret-assignment", line: i + 1 });
    }
  });
  return hits;
}

/** Scans every entry; returns hits grouped for a refusal message. */
export function scanAll(entries: { where: string; text: string }[]): SecretHit[] {
  return entries.flatMap((e) => scanText(e.where, e.text));
}

/** A refusal that names kinds and places only, so the thread never quotes the secret. */
export function describeHits(hits: SecretHit[]): string {
  const byPlace = new Map<string, Map<string, number>>();
  for (const h of hits) {
    const kinds = byPlace.get(h.where) ?? new Map<string, number>();
    kinds.set(h.kind, (kinds.get(h.kind) ?? 0) + 1);
    byPlace.set(h.where, kinds);
  }
  return [...byPlace.entries()]
    .map(([where, kinds]) => `${where}: ${[...kinds.entries()].map(([k, n]) => `${n}× ${k}`).join(", ")}`)
    .join("; ");
}
