/**
 * What a value is, beside what it is called (issue 44, item 1). A plugin's `"hmac"`, a skill's
 * `ACME_LICENSE`, an OAuth profile's `access`/`refresh` and the body lines of a PEM key whose
 * BEGIN line a log excerpt cut off all left the host: no credential word stood beside them. So
 * the redactor also judges the value: its shape (random-looking: mixed classes, high entropy,
 * not made of words), and where it sits (every value under a plugin's or skill's config or env is
 * secret unless it is plainly not: a number, a word, a path, a URL without credentials).
 * secretlint's rules judge by known prefixes and names only, so these are clawops' own.
 */

/** Shannon entropy of the value's characters, in bits per character. */
function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/**
 * The share of the value in runs of four or more lowercase letters or digits: words, camelCase
 * names and dates (`OpenClawGatewayV2Handler` 0.5, `/Users/Alice/Library/Logs` 0.6,
 * `clawops-bundle-lab-1-20261126T152334` 0.73) are made of them; a random 32-character value
 * has under 0.5 in 999 of 1,000 draws (5,000 draws measured).
 */
function wordShare(value: string): number {
  let inWords = 0;
  for (const m of value.matchAll(/[a-z]{4,}|\d{4,}/g)) inWords += m[0].length;
  return inWords / value.length;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `ABCDE-12345-FGHIJ-…`: licence keys, upper case and digits in dashed groups. */
const LICENSE_KEY = /^[A-Z0-9]{4,8}(?:-[A-Z0-9]{4,8}){2,}$/;

/**
 * A value that looks generated rather than written: 20 characters or more of a token alphabet,
 * upper and lower case and a digit (a random 20-character value lacks one in 3.5% of draws, a
 * 32-character one in 0.5%: names and places cover those), dense in entropy (at least 78% of the
 * most its length allows, capped at 4.5 bits: a random 20-character value is above in 999 of
 * 1,000 draws) and not made of words; or a dashed licence key. UUIDs (request and job ids), hex
 * (hashes, commit ids), versions, timestamps (their `:`), ULIDs (no lower case) and identifiers stay.
 */
export function looksGenerated(value: string, minLength = 20): boolean {
  if (value.length < minLength || !/^[A-Za-z0-9+/=_.~-]+$/.test(value) || UUID.test(value)) return false;
  // A licence key mixes letters and digits within its groups; `AUTH-TOKEN-1008` does not.
  if (LICENSE_KEY.test(value)) return value.split("-").filter((g) => /[A-Z]/.test(g) && /\d/.test(g)).length >= 2;
  if (!/[A-Z]/.test(value) || !/[a-z]/.test(value) || !/\d/.test(value)) return false;
  if (/^(?:~|\.{1,2})?\/(?:[A-Za-z0-9_.-]+\/)+/.test(value) && wordShare(value) >= 0.3) return false;
  if (wordShare(value) >= 0.5) return false;
  return entropy(value) >= Math.min(4.5, 0.78 * Math.log2(value.length));
}

/**
 * What stands before a digest or revision token: a name that says so (`fileHash": "`) or its
 * algorithm (`hmac-sha256:v1:`). OpenClaw's config revisions are `hmac-sha256:v1:<base64url>`:
 * generated-looking, a version not a credential, compared by config-not-applied.
 */
const DIGEST_BEFORE =
  /(?:(?:hash|digest|revision|fingerprint|etag|checksum|sha256|sha1)["']?[ \t]*[=:][ \t]*["']?|(?:^|[^A-Za-z0-9])(?:hmac-)?sha(?:1|256|384|512)(?::v\d+)?:)$/i;
const DIGEST_FIELD = /(?:hash|digest|revision|fingerprint|etag|checksum|sha256|sha1)$/i;

export function isDigestBefore(before: string): boolean {
  return DIGEST_BEFORE.test(before);
}

/** A digest under its own field name (`fileHash`), as OpenClaw writes one. */
export function isDigestField(name: string, value: string): boolean {
  return DIGEST_FIELD.test(name) && /^[A-Za-z0-9+/=_:.-]{8,200}$/.test(value);
}

/** A segment of a plain value: a word or a number; beside others, a short lowercase mix (`4o`, `v2`). */
const PLAIN_WORD = /^(?:[A-Za-z][a-z]*|[A-Z]+|\d+)$/;
const PLAIN_PART = /^(?:[A-Za-z][a-z]*|[A-Z]+|\d+|[a-z0-9]{1,4})$/;

/**
 * Values that are plainly not secrets, where every value is presumed one (a plugin's or skill's
 * config and env, a `.env` file): empty, booleans, numbers and durations, words and names made of
 * words (`strict`, `us-east-1`, `gpt-4o`), paths, references (`${VAR}`), markers, e-mail
 * addresses, and URLs without credentials whose path holds nothing generated.
 */
export function plainlyNotSecret(value: string): boolean {
  const v = value.trim();
  if (v === "" || v.startsWith("[REDACTED:") || /^\$\{[A-Za-z0-9_]+\}$/.test(v)) return true;
  if (/^-?\d+(?:\.\d+)?(?:ms|s|m|h|d|[kmg]i?b)?$/i.test(v)) return true;
  if (/^[\w.+-]+@[\w-]+(?:\.[\w-]+)+$/.test(v)) return true;
  const url = /^[a-z][a-z0-9+.-]*:\/\/([^\s/?#]*)(\/[^\s?#]*)?$/i.exec(v);
  if (url) {
    if ((url[1] ?? "").includes("@")) return false;
    return (url[2] ?? "").split("/").every((s) => !looksGenerated(s, 12));
  }
  if (/^(?:~|\.{1,2})?\/[^\s]*$/.test(v)) return v.split("/").every((s) => !looksGenerated(s, 12));
  const segments = v.split(/[-_.:/ ]/).filter((s) => s !== "");
  if (segments.length === 1) return PLAIN_WORD.test(segments[0] ?? "") && v.length <= 32;
  return v.length <= 64 && segments.every((s) => PLAIN_PART.test(s));
}

/**
 * Where in OpenClaw's config every value is presumed secret, wherever the config sits in a
 * result: `plugins.entries.<id>.config|env`, `skills.entries.<id>.env|config|apiKey`, and the
 * config's `env` block (its `vars` and inline variables), at any depth below.
 */
export function isSecretPlace(path: readonly string[]): boolean {
  return path.some((name, i) => {
    // The config's own `env` block: at the root of openclaw.json, or under a result's `config`.
    if (name === "env") return (i === 0 || path[i - 1] === "config") && i < path.length - 1;
    if (path[i + 1] !== "entries" || i + 4 >= path.length) return false;
    const under = path[i + 3];
    if (name === "plugins") return under === "config" || under === "env";
    return name === "skills" && (under === "env" || under === "config" || under === "apiKey");
  });
}

/** A PEM body line: base64 only, as long as PEM writes them (64) or a shorter last one. */
const PEM_BODY_LINE = /^[ \t]*[A-Za-z0-9+/]{8,}={0,2}[ \t]*\r?$/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * The body of a PEM private key whose BEGIN line is not in the text (a log excerpt that starts
 * inside the key): the base64 lines just before an END line go, with it. Line by line, so it is
 * linear however many base64 lines there are.
 */
export function redactHeadlessPem(text: string, marker: string): string {
  if (!PEM_END.test(text)) return text;
  const lines = text.split("\n");
  const out: string[] = [];
  for (const line of lines) {
    if (PEM_END.test(line)) {
      let n = 0;
      while (out.length > 0 && PEM_BODY_LINE.test(out[out.length - 1] ?? "")) {
        out.pop();
        n++;
      }
      out.push(n > 0 ? line.replace(PEM_END, marker) : line);
      continue;
    }
    out.push(line);
  }
  return out.join("\n");
}
