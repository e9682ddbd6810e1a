import { findWithRuleSet } from "../contract/secret-rules.ts";
import {
  digestBefore,
  digestField,
  dropHeadlessKeyBody,
  generatedValue,
  harmlessSetting,
  presumedSecret,
} from "./secret-scrub-shape.ts";

/**
 * The control plane's second scan of everything an agent sends (issue 32, item 1): step
 * results (triage evidence, findings, tickets, bundles' inputs) and watch states pass here
 * before anything stores, renders or logs them, on Node and in workerd alike. Unlike the
 * bundle's fail-closed scan (bundles/second-scan.ts) this one redacts in place: a triage must
 * still answer, without the value. Its patterns are written apart from the agent's redactor
 * (src/agent/probes/redact.ts) so a gap in one is unlikely to be the same gap here; the rule
 * set (secretlint's recommended preset) is shared, and runs first.
 */

const marker = (kind: string) => `[REDACTED:cp-${kind}]`;
const NOT_MARKER = "(?!\\[REDACTED:)";
/**
 * Names a credential: the last word is one of these (`X-Custom-Auth`, `deviceToken`, `db_dsn`).
 * It starts only where a run of name characters starts (the lookbehind): unanchored, a pattern
 * beginning `[A-Za-z0-9_.-]*` is tried at every character of a long run and scans to its end
 * each time, quadratic in the run's length; a 7 MiB log of 3,000-character lines took minutes
 * and cost the bundle its excerpt (`npx node bench/redaction.ts`). Every other leading run
 * below (scheme, header name, backslashes, `eyJ…`) is anchored the same way.
 */
const NAME =
  "(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]*(?:token|tokens|password|passwd|pwd|secret|key|apikey|credentials?|dsn|auth|session|sid|cookie|code|pass|hmac)";

/**
 * `keep`: the group kept before the marker. `when`: a judge of the value (the rest of the
 * match), for rules that find candidates by shape rather than by name.
 */
/** `when`: a judge of the value, given the text before it (its name included). */
type Rule = { kind: string; pattern: RegExp; keep?: number; when?: (value: string, before: string) => boolean };

const RULES: Rule[] = [
  {
    kind: "private-key",
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  },
  // An AWS secret key without its label, on the line of its access key id.
  {
    kind: "aws-secret",
    pattern: /(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b[^\n]{0,80}?)(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g,
    keep: 1,
  },
  // scheme://user:pass@, scheme://:pass@, scheme://token@ (kept: the scheme).
  {
    kind: "url-credentials",
    pattern: new RegExp(`((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\\/\\/)${NOT_MARKER}[^\\s/?#"'<>\\\\]+@`, "gi"),
    keep: 1,
  },
  // Telegram's bot<id>:<secret>, in a URL path or a `status --all` table.
  { kind: "telegram-bot-token", pattern: /(\bbot)?\d{6,12}:[A-Za-z0-9_-]{30,}/g, keep: 1 },
  // Discord and Slack webhook secrets in their URL paths.
  { kind: "webhook-secret", pattern: /(\/api\/webhooks\/\d+\/)[A-Za-z0-9_-]{20,}/g, keep: 1 },
  {
    kind: "webhook-secret",
    pattern: /(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{16,}/g,
    keep: 1,
  },
  // Authorization schemes, anywhere.
  {
    kind: "auth-scheme",
    // `Token …`/`Bot …` only with a digit in the value, so "Token mismatch" stays prose.
    pattern: new RegExp(
      `(\\b(?:Bearer|bearer|Basic)[ \\t]+|\\b(?:Token|Bot)[ \\t]+(?=[A-Za-z0-9._~+/=-]*\\d))${NOT_MARKER}[A-Za-z0-9._~+/=-]{8,}`,
      "g",
    ),
    keep: 1,
  },
  // Cookie and Set-Cookie headers: every value.
  { kind: "cookie", pattern: /(\b(?:Set-)?Cookie:[ \t]*)[^\r\n]+/gi, keep: 1 },
  // Headers whose name says credential: X-Api-Key, X-Custom-Auth, Proxy-Authorization.
  {
    kind: "header",
    pattern: new RegExp(
      `((?<![A-Za-z0-9-])[A-Za-z0-9-]*(?:-auth|-key|-token|-secret|authorization)[ \\t]*:[ \\t]*)${NOT_MARKER}[^\\s\\r\\n,;"']{6,}`,
      "gi",
    ),
    keep: 1,
  },
  // JSON escaped one level or more: \"token\":\"…\" or \\\"token\\\":\\\"…\\\".
  {
    kind: "field",
    pattern: new RegExp(`((?<!\\\\)(\\\\+)"${NAME}\\\\+"[ \\t]*:[ \\t]*\\\\+")${NOT_MARKER}[^"\\\\]{4,}`, "gi"),
    keep: 1,
  },
  // Plain JSON: "token": "…".
  { kind: "field", pattern: new RegExp(`("${NAME}"[ \\t]*:[ \\t]*")${NOT_MARKER}[^"]{4,}`, "gi"), keep: 1 },
  // URL-encoded: token%3D…, %22token%22%3A%22…
  {
    kind: "urlencoded",
    pattern: new RegExp(
      `(${NAME}(?:%22)?%3[Dd]|${NAME}%22%3[Aa](?:%20)*%22)${NOT_MARKER}(?:%(?!26|22)[0-9A-Fa-f]{2}|[^&\\s"'%]){4,}`,
      "gi",
    ),
    keep: 1,
  },
  // `provided token "…"`, `token '…'`, `password “…”`: a credential word then a quoted value.
  { kind: "quoted", pattern: new RegExp(`(${NAME}[ \\t]+)${NOT_MARKER}("[^"\\s]{6,}"|'[^'\\s]{6,}')`, "gi"), keep: 1 },
  // name=value, name: value (env files, logs, query strings, CLI --flag value). Spaces and tabs
  // only between name and value: across a line break it took the next line's timestamp for the
  // value of a line ending in `code` or `token` (issue 44: 7 timestamps blanked in one bundle).
  {
    kind: "pair",
    pattern: new RegExp(
      `(${NAME}["']?(?:[ \\t]*[=:][ \\t]*|[ \\t]+(?=--?|[A-Za-z0-9_-]*\\d)))${NOT_MARKER}("[^"\\n]{4,}"|'[^'\\n]{4,}'|[^\\s&,;"'()|│]{6,})`,
      "gi",
    ),
    keep: 1,
  },
  // Pairing and setup codes: `openclaw pairing approve telegram ABCD2345`, `Pairing code: ABCD2345`.
  { kind: "pairing-code", pattern: /(\bpairing approve[ \t]+[a-z0-9_-]+[ \t]+)[A-Z0-9-]{4,}/gi, keep: 1 },
  { kind: "aws-key-id", pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g },
  { kind: "jwt", pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  {
    kind: "provider-key",
    pattern:
      /\b(?:sk-[A-Za-z0-9_-]{16,}|xox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{8,}|xapp-[A-Za-z0-9-]{8,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|AIza[0-9A-Za-z_-]{30,}|(?:gsk|hf|r8)_[A-Za-z0-9]{20,}|(?:xai|pplx)-[A-Za-z0-9]{20,})/g,
  },
  // Issue 44: a generated value whatever its name says (`"access": "ya29.…"`, `"refresh": "1//0…"`,
  // `"hmac": "…"`, `ACME_LICENSE=…`): secretlint and the rules above go by prefix or name.
  {
    kind: "generated",
    pattern: /((?<![A-Za-z0-9_.-])[A-Za-z_][A-Za-z0-9_.-]*["']?[ \t]*[=:][ \t]*["']?)([A-Za-z0-9+/=_.~-]{20,})/g,
    keep: 1,
    when: (value, before) => !digestBefore(before) && generatedValue(value),
  },
  // A generated value with no name: a licence key in prose, a PEM body line whose BEGIN line is
  // not in the text, a bare key.
  {
    kind: "generated",
    pattern: /(?<![A-Za-z0-9-])[A-Z0-9]{4,8}(?:-[A-Z0-9]{4,8}){2,}(?![A-Za-z0-9-])/g,
    when: (value) => generatedValue(value, 14),
  },
  {
    kind: "generated",
    pattern: /(?<![A-Za-z0-9+/=_.~-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_~-]|\.[A-Za-z0-9])/g,
    when: (value, before) => !digestBefore(before) && generatedValue(value, 40),
  },
];

/**
 * Values that are names, markers or placeholders: never replaced (a finding must stay readable).
 * `agent:main:s42` is an OpenClaw session key (GATEWAY-FACTS), a name, not a credential.
 */
const HARMLESS =
  /^["']?(?:agent:[a-z0-9_-]+:[A-Za-z0-9_:.-]+|\[REDACTED:[a-z-]+\]|sha256:[0-9a-f]{6,}|__OPENCLAW_REDACTED__|\$\{[A-Za-z0-9_]+\}|<[^>]*>|\*+|null|true|false|undefined|none|missing|unset|configured|config|env|file|[0-9.]+(?:ms|s)?)["']?$/i;

/** Rules that find a value by its name: the value must look like a credential too. */
const NAMED = new Set(["pair", "quoted", "field", "urlencoded", "header"]);
/** Names that always hold a credential (a weaker name, `code`, `key`, `auth`, may hold a word). */
const STRONG_NAME = /(?:token|tokens|password|passwd|pwd|secret|apikey|credentials?|pass|cookie|hmac)\W*$/i;

/**
 * Prose and vocabulary stay: "token mismatch", `code: AUTH_TOKEN_MISMATCH`, `auth: token`.
 * Under a strong name, anything but a short lowercase word is a credential; under a weaker
 * one, a value with a digit or mixed case, that is not an UPPER_SNAKE code.
 */
function looksLikeCredential(value: string, name: string): boolean {
  if (/^[a-z]+(?:[ -][a-z]+)*$/.test(value) && value.length < 16) return false;
  if (/^[A-Z][A-Z_]+$/.test(value)) return false;
  const stripped = name.replace(/\\|%22|%3[AaDd]|%20|["':=\s]/g, "");
  if (STRONG_NAME.test(stripped)) return true;
  return /\d/.test(value) || (/[a-z]/.test(value) && /[A-Z]/.test(value));
}

/** Only the patterns (synchronous); `scrubText` adds the rule set. */
export function scrubPatterns(text: string): string {
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.pattern, (match: string, ...groups: unknown[]) => {
      const kept = rule.keep ? String(groups[rule.keep - 1] ?? "") : "";
      const value = match.slice(kept.length);
      if (value.startsWith("[REDACTED:") || HARMLESS.test(value)) return match;
      if (NAMED.has(rule.kind) && !looksLikeCredential(value.replace(/^["']|["']$/g, ""), kept)) return match;
      if (rule.when) {
        // What stands before the value: the text before the match, then its kept name.
        const at = groups.findIndex((g) => typeof g === "number");
        const whole = at >= 0 ? String(groups[at + 1] ?? "") : "";
        const offset = at >= 0 ? Number(groups[at]) : 0;
        if (!rule.when(value, whole.slice(Math.max(0, offset - 48), offset) + kept)) return match;
      }
      return `${kept}${marker(rule.kind)}`;
    });
    // Whole keys are gone now; a body left without its BEGIN line goes up to its END line.
    if (rule.kind === "private-key") out = dropHeadlessKeyBody(out, marker("private-key"));
  }
  return out;
}

/** Strings shorter than this hold no credential either pass knows. */
const MIN_LENGTH = 8;
/** Strings seen clean before (the watch repeats itself every 30 s): at most 256 of ≤512 chars. */
const clean = new Set<string>();

export async function scrubText(text: string): Promise<string> {
  if (text.length < MIN_LENGTH) return text;
  const memo = text.length <= 512;
  if (memo && clean.has(text)) return text;
  let out = text;
  const hits = (await findWithRuleSet(out)).sort((a, b) => a.start - b.start || b.end - a.end);
  if (hits.length > 0) {
    let built = "";
    let at = 0;
    for (const hit of hits) {
      if (hit.end <= at) continue;
      built += `${out.slice(at, Math.max(at, hit.start))}[REDACTED:cp-rule-${hit.rule.replace(/[^a-z-]/g, "") || "secret"}]`;
      at = hit.end;
    }
    out = built + out.slice(at);
  }
  out = scrubPatterns(out);
  if (memo && out === text) {
    if (clean.size >= 256) clean.delete(clean.values().next().value as string);
    clean.add(text);
  }
  return out;
}

/** Field names whose string value is a credential whatever it looks like. */
const SECRET_FIELD =
  /(?:token|password|passwd|secret|apikey|api_key|credentials?|cookie|authorization|pairingcode|setupcode|hmac)$/i;
const NOT_SECRET_FIELD = /^(?:tokenSource|tokenConfigured|tokenUnresolved|secretRef|secretRefs|tokens)$/;

/**
 * Every string of a JSON-like value through `scrubText` (keys kept; secret-named fields replaced
 * whole, and so is any value in a place of OpenClaw's config presumed secret, a plugin's or
 * skill's config and env, unless it is plainly a setting).
 */
export async function scrubDeep<T>(value: T): Promise<T> {
  const walk = async (v: unknown, path: string[]): Promise<unknown> => {
    if (typeof v === "string") {
      const key = path.at(-1);
      if (key && SECRET_FIELD.test(key) && !NOT_SECRET_FIELD.test(key) && v.length >= 6 && !HARMLESS.test(v)) {
        return marker("field");
      }
      if (presumedSecret(path) && !harmlessSetting(v)) return marker("setting");
      // A digest or revision token under its own name (`fileHash`: OpenClaw's is
      // `hmac-sha256:v1:<base64url>`): a version, kept as it is.
      if (key && digestField(key, v)) return v;
      return scrubText(v);
    }
    if (Array.isArray(v)) return Promise.all(v.map((x, i) => walk(x, [...path, String(i)])));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[k] = await walk(child, [...path, k]);
      return out;
    }
    return v;
  };
  return (await walk(value, [])) as T;
}
