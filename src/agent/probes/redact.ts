import {
  isDigestBefore,
  isDigestField,
  isSecretPlace,
  looksGenerated,
  plainlyNotSecret,
  redactHeadlessPem,
} from "./redact-shape.ts";

/** Up to 48 characters of `whole` before `offset` (a replace callback's last two arguments). */
const textBefore = (whole: unknown, offset: unknown) =>
  String(whole).slice(Math.max(0, Number(offset) - 48), Number(offset));

/**
 * Redaction on the host, before anything leaves it (ARCHITECTURE: "redacts secrets before
 * anything leaves the host"). Two layers: the exact secret values the agent read (gateway
 * tokens), then patterns for secrets it could not know (headers, CLI args, provider keys).
 * Every replacement says what kind of secret it was: `[REDACTED:<kind>]`.
 */

export type RedactionKind =
  | "known-secret"
  | "private-key"
  | "url-credentials"
  | "bearer"
  | "basic-auth"
  | "cli-arg"
  | "secret-pair"
  | "secret-field"
  | "slack-token"
  | "anthropic-key"
  | "openai-key"
  | "github-token"
  | "aws-access-key"
  | "jwt"
  | "google-api-key"
  | "provider-key"
  | "escaped-field"
  | "url-encoded"
  | "quoted-token"
  | "auth-header"
  | "cookie"
  | "telegram-bot-token"
  | "webhook-secret"
  | "pairing-code"
  | "aws-secret-key"
  | "generated-value"
  | "secret-place";

export const redacted = (kind: RedactionKind) => `[REDACTED:${kind}]`;

/** Shorter "secrets" would shred ordinary text (a 4-char token matches everywhere). */
const MIN_KNOWN_SECRET_LENGTH = 6;

/** A value already replaced must not be matched again by a later, broader pattern. */
const NOT_REDACTED = "(?!\\[REDACTED:)";
/**
 * A key whose name says secret, password, passwd, token, key, credential, dsn or hmac (issue 15:
 * `AWS_SECRET_ACCESS_KEY`, `DATABASE_DSN`, `AccountKey` slipped past a shorter list). The
 * name must end with the word, so `tokenSource=config` and `keyCount=3` stay readable.
 */
const SECRET_WORD = "(?:token|password|passwd|pwd|secret|key|credentials?|dsn|hmac)";
/**
 * Where a key's name may start: not inside a run of name characters. Without this anchor a
 * pattern that begins with `[A-Za-z0-9_.-]*` is tried at every character of a long run and scans
 * to its end each time: quadratic, so a log of 3,000-character lines held the redactor for
 * minutes (issue 32; `npx node bench/redaction.ts`). Anchored, each run is scanned once.
 */
const NAME_START = "(?<![A-Za-z0-9_.-])";
const SECRET_KEY = `${NAME_START}[A-Za-z0-9_.-]*${SECRET_WORD}`;

type Rule = { kind: RedactionKind; pattern: RegExp; replace: (match: string, ...groups: string[]) => string };

const RULES: Rule[] = [
  {
    kind: "private-key",
    pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    replace: () => redacted("private-key"),
  },
  {
    // Any userinfo: scheme://user:password@, scheme://:password@ (redis), scheme://<token>@
    // (git remotes with a PAT). Up to the last `@` of the authority: a password may hold one.
    kind: "url-credentials",
    pattern: new RegExp(`((?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\\/\\/)${NOT_REDACTED}[^\\s/?#"'<>]*@`, "gi"),
    replace: (_m, scheme = "") => `${scheme}${redacted("url-credentials")}@`,
  },
  // Issue 32: the forms that got out of an OpenClaw host. Telegram's bot<id>:<token> (URLs,
  // `openclaw status --all`'s table) and Discord/Slack webhook paths.
  {
    kind: "telegram-bot-token",
    pattern: /(\bbot)?\d{6,12}:[A-Za-z0-9_-]{30,}/g,
    replace: (_m, bot = "") => `${bot}${redacted("telegram-bot-token")}`,
  },
  {
    kind: "webhook-secret",
    pattern: /(\/api\/webhooks\/\d+\/|hooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9/_-]{16,}/g,
    replace: (_m, path = "") => `${path}${redacted("webhook-secret")}`,
  },
  {
    // A JSON frame inside a log line: \"token\":\"…\" (escaped once or more).
    kind: "escaped-field",
    pattern: new RegExp(`((?<!\\\\)(\\\\+)"${SECRET_KEY}\\\\+"[ \\t]*:[ \\t]*\\\\+")${NOT_REDACTED}[^"\\\\]+`, "gi"),
    replace: (_m, key = "") => `${key}${redacted("escaped-field")}`,
  },
  {
    // token%3D…, %22token%22%3A%22… (query strings and bodies as proxies log them).
    kind: "url-encoded",
    pattern: new RegExp(
      `(${SECRET_KEY}(?:%22)?%3D|${SECRET_KEY}%22%3A(?:%20)*%22)${NOT_REDACTED}(?:%(?!26|22)[0-9A-Fa-f]{2}|[^&\\s"'%])+`,
      "gi",
    ),
    replace: (_m, key = "") => `${key}${redacted("url-encoded")}`,
  },
  {
    // `provided token "…" does not match`, `password '…'`.
    kind: "quoted-token",
    pattern: new RegExp(
      `(\\b(?:token|password|passwd|secret|api[_-]?key)[ \\t]+)${NOT_REDACTED}("[^"\\s]{6,}"|'[^'\\s]{6,}')`,
      "gi",
    ),
    replace: (_m, word = "") => `${word}${redacted("quoted-token")}`,
  },
  {
    // Cookie and Set-Cookie headers: every value on the line.
    kind: "cookie",
    pattern: /(\b(?:Set-)?Cookie:[ \t]*)[^\r\n]+/gi,
    replace: (_m, head = "") => `${head}${redacted("cookie")}`,
  },
  {
    // Headers named for a credential: X-Custom-Auth, X-Api-Key, Proxy-Authorization.
    kind: "auth-header",
    pattern: new RegExp(
      `((?<![A-Za-z0-9-])[A-Za-z0-9-]*(?:-auth|-key|-token|-secret|authorization)[ \\t]*:[ \\t]*)${NOT_REDACTED}(?!(?:Bearer|Basic)\\s)[^\\s,;"']{6,}`,
      "gi",
    ),
    replace: (_m, head = "") => `${head}${redacted("auth-header")}`,
  },
  {
    // Channel pairing codes: `openclaw pairing approve telegram ABCD2345`, `Pairing code: ABCD2345`.
    kind: "pairing-code",
    pattern: /(\bpairing approve[ \t]+[a-z0-9_-]+[ \t]+|\b(?:pairing|setup|device) code:?[ \t]+)[A-Za-z0-9_-]{4,}/gi,
    replace: (_m, head = "") => `${head}${redacted("pairing-code")}`,
  },
  {
    // An AWS secret key printed without its label on the line of its access key id.
    kind: "aws-secret-key",
    pattern: /(\b(?:AKIA|ASIA)[A-Z0-9]{16}\b[^\n]{0,80}?)(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+])/g,
    replace: (_m, head = "") => `${head}${redacted("aws-secret-key")}`,
  },
  {
    kind: "bearer",
    // `Token …` and `Bot …` (Discord, some proxies) only with a digit, so "Token mismatch" stays.
    pattern: new RegExp(
      `\\b(Bearer|bearer|BEARER|Token|Bot)([ \\t]+)${NOT_REDACTED}(?:(?<=Bearer[ \\t]+|bearer[ \\t]+|BEARER[ \\t]+)|(?=[A-Za-z0-9._~+/=-]*\\d))[A-Za-z0-9._~+/=-]{6,}`,
      "g",
    ),
    replace: (_m, word = "", space = "") => `${word}${space}${redacted("bearer")}`,
  },
  {
    kind: "basic-auth",
    pattern: new RegExp(`\\b(Basic)([ \\t]+)${NOT_REDACTED}[A-Za-z0-9+/]{8,}={0,2}`, "g"),
    replace: (_m, word = "", space = "") => `${word}${space}${redacted("basic-auth")}`,
  },
  {
    // `--token X`, `--token=X`, `--password X`, `--api-key=X`, also quoted values.
    kind: "cli-arg",
    pattern: new RegExp(
      `(${NAME_START}--[A-Za-z0-9_.-]*${SECRET_WORD})([ \\t]+|=)${NOT_REDACTED}("[^"]*"|'[^']*'|[^\\s"']+)`,
      "gi",
    ),
    replace: (_m, flag = "", sep = "") => `${flag}${sep}${redacted("cli-arg")}`,
  },
  {
    // JSON text: "token": "…", "deviceToken":"…".
    kind: "secret-field",
    pattern: new RegExp(`("${SECRET_KEY}"[ \\t]*:[ \\t]*)"${NOT_REDACTED}[^"]+"`, "gi"),
    replace: (_m, key = "") => `${key}"${redacted("secret-field")}"`,
  },
  {
    // token=…, OPENCLAW_GATEWAY_TOKEN=…, password: … (env files, logs, query strings).
    // Also `aws_secret_access_key = …` (the AWS CLI's credentials file and `configure list`).
    kind: "secret-pair",
    pattern: new RegExp(
      `(${SECRET_KEY})([ \\t]*=[ \\t]*|:[ \\t]*)${NOT_REDACTED}("[^"]+"|'[^']+'|[^\\s&,;"'()]+)`,
      "gi",
    ),
    replace: (_m, key = "", sep = "") => `${key}${sep}${redacted("secret-pair")}`,
  },
  // Bot, user, app-level, config and refresh tokens: xoxb-, xoxp-, xoxa-, xoxe.xoxp-, xoxe-, …
  {
    kind: "slack-token",
    pattern: /\bxox[a-z](?:\.xox[a-z])?-[A-Za-z0-9-]{8,}/g,
    replace: () => redacted("slack-token"),
  },
  { kind: "slack-token", pattern: /\bxapp-[A-Za-z0-9-]{8,}/g, replace: () => redacted("slack-token") },
  { kind: "anthropic-key", pattern: /\bsk-ant-[A-Za-z0-9_-]{8,}/g, replace: () => redacted("anthropic-key") },
  { kind: "openai-key", pattern: /\bsk-[A-Za-z0-9_-]{16,}/g, replace: () => redacted("openai-key") },
  {
    kind: "github-token",
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g,
    replace: () => redacted("github-token"),
  },
  { kind: "google-api-key", pattern: /\bAIza[0-9A-Za-z_-]{30,}/g, replace: () => redacted("google-api-key") },
  {
    // Groq (gsk_), xAI (xai-), Hugging Face (hf_), Replicate (r8_), Perplexity (pplx-).
    kind: "provider-key",
    pattern:
      /\b(?:gsk_[A-Za-z0-9]{20,}|xai-[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|r8_[A-Za-z0-9]{20,}|pplx-[A-Za-z0-9]{20,})/g,
    replace: () => redacted("provider-key"),
  },
  { kind: "aws-access-key", pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: () => redacted("aws-access-key") },
  // A bare JWT (session cookies, id tokens in logs): secretlint's recommended rules have none.
  {
    kind: "jwt",
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g,
    replace: () => redacted("jwt"),
  },
  // Issue 44: a generated value beside a name that says nothing (`"hmac": "…"`, `ACME_LICENSE=…`,
  // an OAuth profile's `"refresh": "…"`). secretlint knows values by prefix or name only.
  {
    kind: "generated-value",
    pattern: new RegExp(
      `(${NAME_START}[A-Za-z_][A-Za-z0-9_.-]*["']?[ \\t]*[=:][ \\t]*["']?)([A-Za-z0-9+/=_.~-]{20,})`,
      "g",
    ),
    // A digest or revision token (`"fileHash": "hmac-sha256:v1:…"`) names a version, not a
    // credential, and a finding compares it (config-not-applied). Arguments: the match, its two
    // groups, its offset, the whole text.
    replace: (match, head = "", value = "", offset, whole) =>
      !isDigestBefore(textBefore(whole, offset) + head) && looksGenerated(value)
        ? `${head}${redacted("generated-value")}`
        : match,
  },
  // …and one with no name at all: a licence key in prose (`licence 7QX2K-…`), a PEM body line
  // left without its BEGIN line, a bare key.
  {
    kind: "generated-value",
    pattern: /(?<![A-Za-z0-9-])[A-Z0-9]{4,8}(?:-[A-Z0-9]{4,8}){2,}(?![A-Za-z0-9-])/g,
    replace: (match) => (looksGenerated(match, 14) ? redacted("generated-value") : match),
  },
  {
    kind: "generated-value",
    pattern: /(?<![A-Za-z0-9+/=_.~-])[A-Za-z0-9+/_-]{40,}={0,2}(?![A-Za-z0-9+/=_~-]|\.[A-Za-z0-9])/g,
    // (No capture groups: the arguments after the match are its offset and the whole text.)
    replace: (match, offset, whole) =>
      !isDigestBefore(textBefore(whole, offset)) && looksGenerated(match, 40) ? redacted("generated-value") : match,
  },
];

/**
 * Field names whose string value is a secret whatever it looks like: the name's last word
 * ends in secret, password, passwd, pwd, token, key, credential(s) or dsn, in any case or
 * joining (`apiKey`, `AWS_SECRET_ACCESS_KEY`, `db-dsn`, `authtoken`), or it is an
 * authorization header. A config's `env` block is covered by the same rule; `tokenSource`
 * and `tokens` are not secrets and stay readable.
 */
const SECRET_WORD_END = /(?:token|password|passwd|pwd|secret|key|credentials?|dsn|authorization|hmac)$/;

export function isSecretFieldName(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  const last = words[words.length - 1];
  return last !== undefined && SECRET_WORD_END.test(last);
}

export function redactText(text: string, knownSecrets: Iterable<string> = []): string {
  let out = text;
  const secrets = [...new Set(knownSecrets)]
    .filter((s) => s.length >= MIN_KNOWN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  // Private keys first: a key block can contain anything the later rules would half-match.
  const [privateKey, ...rest] = RULES;
  if (privateKey) out = out.replace(privateKey.pattern, privateKey.replace);
  // A key's body whose BEGIN line is not in this text (cut off by a log excerpt), up to its END.
  out = redactHeadlessPem(out, redacted("private-key"));
  for (const secret of secrets) out = out.split(secret).join(redacted("known-secret"));
  for (const rule of rest) out = out.replace(rule.pattern, rule.replace);
  return out;
}

/**
 * Redacts every string in a JSON-like value (object keys are kept). A string under a
 * secret-named field (`token`, `password`, `deviceToken` …) is replaced whole, and so is one in
 * a place of OpenClaw's config where every value is presumed secret (a plugin's or skill's
 * config and env, the `env` block: redact-shape.ts) unless it is plainly not one.
 */
export function redactDeep<T>(value: T, knownSecrets: Iterable<string> = []): T {
  const secrets = [...knownSecrets];
  const walk = (v: unknown, path: string[]): unknown => {
    if (typeof v === "string") {
      const key = path[path.length - 1];
      if (v.length === 0 || v.startsWith("[REDACTED:")) return v;
      if (key !== undefined && Number.isNaN(Number(key)) && isSecretFieldName(key)) return redacted("secret-field");
      // A digest or revision token under its own name (`fileHash`: OpenClaw's is
      // `hmac-sha256:v1:<base64url>`): a version, kept as it is.
      if (key !== undefined && isDigestField(key, v)) return v;
      if (isSecretPlace(path) && !plainlyNotSecret(v)) return redacted("secret-place");
      return redactText(v, secrets);
    }
    if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, String(i)]));
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(v)) out[k] = walk(child, [...path, k]);
      return out;
    }
    return v;
  };
  return walk(value, []) as T;
}

/** How many `[REDACTED:<kind>]` markers a text holds, per kind. */
export function countRedactions(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/\[REDACTED:([a-z-]+)\]/g)) {
    const kind = m[1] ?? "unknown";
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/**
 * `redactText` plus what it removed: the markers it added, per kind (markers already in the
 * input are not counted again). Feeds a bundle's redaction report.
 */
export function redactTextCounted(
  text: string,
  knownSecrets: Iterable<string> = [],
): { text: string; counts: Map<string, number> } {
  const before = countRedactions(text);
  const out = redactText(text, knownSecrets);
  const counts = new Map<string, number>();
  for (const [kind, n] of countRedactions(out)) {
    const added = n - (before.get(kind) ?? 0);
    if (added > 0) counts.set(kind, added);
  }
  return { text: out, counts };
}
