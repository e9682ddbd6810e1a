/**
 * The control plane's own judgement of what a value is (issue 44, item 1), for the second scan
 * (secret-scrub.ts). An agent that redacts nothing sent OAuth `access`/`refresh` tokens from
 * `auth-profiles.json`, a plugin's `"hmac"`, a skill's `ACME_LICENSE` and PEM body lines cut from
 * their BEGIN line: no credential word named them, and secretlint's rules know values by prefix
 * or name. Written apart from the agent's (src/agent/probes/redact-shape.ts), workerd-safe
 * (plain string work).
 */

const TOKEN_CHARS = /^[A-Za-z0-9+/=_.~-]+$/;
const UUID_SHAPE = /^[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;
/** Licence keys: dashed groups of capitals and digits (`7QX2K-…`). */
const DASHED_KEY = /^[A-Z0-9]{4,8}(?:-[A-Z0-9]{4,8}){2,}$/;

/** Bits per character of the value's own character frequencies. */
function bitsPerChar(value: string): number {
  const seen: Record<string, number> = {};
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i);
    seen[ch] = (seen[ch] ?? 0) + 1;
  }
  let bits = 0;
  for (const n of Object.values(seen)) bits -= (n / value.length) * Math.log2(n / value.length);
  return bits;
}

/**
 * How much of the value is lowercase words or digit runs (4 or more): names, paths and dated
 * file names (`clawops-bundle-lab-1-20261126T152334`) are; keys are not.
 */
function wordy(value: string): number {
  const words = value.match(/[a-z]{4,}|[0-9]{4,}/g) ?? [];
  return words.join("").length / value.length;
}

/**
 * What stands before a digest or revision token: a name that says so (`fileHash": "`, `etag: `)
 * or its algorithm (`hmac-sha256:v1:`, `sha256:`). OpenClaw's config revisions are
 * `hmac-sha256:v1:<base64url>`: generated-looking, but a version, not a credential, and
 * `config-not-applied` compares two of them. `before` is the text up to the value.
 */
const DIGEST_BEFORE =
  /(?:(?:hash|digest|revision|fingerprint|etag|checksum|sha256|sha1)["']?[ \t]*[=:][ \t]*["']?|(?:^|[^A-Za-z0-9])(?:hmac-)?sha(?:1|256|384|512)(?::v\d+)?:)$/i;
/** A field named as a digest or revision token (`fileHash`, `appliedConfigHash`, `sha256`). */
const DIGEST_FIELD = /(?:hash|digest|revision|fingerprint|etag|checksum|sha256|sha1)$/i;

export function digestBefore(before: string): boolean {
  return DIGEST_BEFORE.test(before);
}

/** A digest under its own field name, as OpenClaw writes one (`hmac-sha256:v1:<base64url>`). */
export function digestField(name: string, value: string): boolean {
  return DIGEST_FIELD.test(name) && /^[A-Za-z0-9+/=_:.-]{8,200}$/.test(value);
}

/**
 * Made by a generator, not written by a person: a token alphabet, upper and lower case and a
 * digit, at least 20 characters, not mostly words (`OpenClawGatewayV2Handler`, a path), and dense:
 * 78% of the entropy its length allows, at most 4.5 bits (a random 20-character value passes in
 * 999 of 1,000 draws). Dashed licence keys too. UUIDs, hex hashes, versions, ULIDs, timestamps stay.
 */
export function generatedValue(value: string, minLength = 20): boolean {
  if (value.length < minLength || !TOKEN_CHARS.test(value) || UUID_SHAPE.test(value)) return false;
  // Two groups or more that mix capitals and digits: a key, where `AUTH-TOKEN-1008` is a code.
  if (DASHED_KEY.test(value)) return value.split("-").filter((g) => /[0-9]/.test(g) && /[A-Z]/.test(g)).length > 1;
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/[0-9]/.test(value)) return false;
  const share = wordy(value);
  if (share >= 0.5 || (/^[~.]*\/(?:[\w.-]+\/)+/.test(value) && share >= 0.3)) return false;
  return bitsPerChar(value) >= Math.min(4.5, 0.78 * Math.log2(value.length));
}

/**
 * A value under a plugin's or skill's config or env that is plainly not a secret: empty, a
 * number or duration, a boolean, a word or a name of words and short parts (`us-east-1`,
 * `gpt-4o`), a `${VAR}` reference, a marker, an e-mail address, a path or a URL without
 * credentials and with nothing generated in it.
 */
export function harmlessSetting(value: string): boolean {
  const v = value.trim();
  if (v.length === 0 || v.startsWith("[REDACTED:") || /^\$\{\w+\}$/.test(v)) return true;
  if (/^-?[0-9]+(?:\.[0-9]+)?(?:ms|s|m|h|d|[kmg]i?b)?$/i.test(v) || /^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/.test(v))
    return true;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(v);
  if (scheme || v.startsWith("/") || v.startsWith("~/") || v.startsWith("./")) {
    if (scheme && /^[^/]*:\/\/[^/?#]*@/.test(v)) return false;
    return v.split(/[/?#&=]/).every((p) => !generatedValue(p, 12));
  }
  const parts = v.split(/[-_.: ]/).filter(Boolean);
  // One part: a word or a number. Several: words, numbers and short lowercase mixes (`gpt-4o`).
  if (parts.length === 1) return v.length <= 32 && /^(?:[A-Za-z][a-z]*|[A-Z]+|[0-9]+)$/.test(v);
  return v.length <= 64 && parts.every((p) => /^(?:[A-Za-z][a-z]*|[A-Z]+|[0-9]+|[a-z0-9]{1,4})$/.test(p));
}

/**
 * Where every value is presumed secret in OpenClaw's config, wherever the config sits in a
 * result: `plugins.entries.<id>.config|env`, `skills.entries.<id>.env|config|apiKey`, and the
 * config's `env` block.
 */
export function presumedSecret(path: readonly string[]): boolean {
  for (let i = 0; i < path.length - 1; i++) {
    // The config's `env` block: at the root, or under a result's `config`.
    if (path[i] === "env" && (i === 0 || path[i - 1] === "config")) return true;
    if (path[i + 1] !== "entries" || path.length < i + 5) continue;
    const under = path[i + 3] ?? "";
    if (path[i] === "plugins" && (under === "config" || under === "env")) return true;
    if (path[i] === "skills" && (under === "env" || under === "config" || under === "apiKey")) return true;
  }
  return false;
}

/**
 * The base64 lines just before a `-----END … PRIVATE KEY-----` line whose BEGIN line is not in
 * the text (a log excerpt that starts inside the key) go, with the END line. Line by line:
 * linear in the text.
 */
export function dropHeadlessKeyBody(text: string, marker: string): string {
  if (!text.includes("PRIVATE KEY-----")) return text;
  const kept: string[] = [];
  for (const line of text.split("\n")) {
    const end = /-----END [A-Z0-9 ]*PRIVATE KEY-----/.exec(line);
    if (!end) {
      kept.push(line);
      continue;
    }
    let dropped = 0;
    while (kept.length > 0 && /^\s*[A-Za-z0-9+/]{8,}={0,2}\s*$/.test(kept[kept.length - 1] ?? "")) {
      kept.pop();
      dropped++;
    }
    kept.push(dropped > 0 ? line.replace(end[0], marker) : line);
  }
  return kept.join("\n");
}
