/**
 * The planted-secret corpus (issue 32, item 1): secrets in the forms they really take on an
 * OpenClaw host — log lines that quote them, JSON frames escaped inside logs, URL-encoded
 * bodies, .env and openclaw.json, `openclaw status --all`'s table, URLs, headers, cookies,
 * pairing codes. Each value is unique, so a leak names the exact form that let it out.
 */
export type Planted = { form: string; value: string; text: string };

/** Deterministic pseudo-random characters (the corpus is the same on every run). */
function chars(seed: number, n: number, alphabet: string): string {
  // xorshift32: small, deterministic, and spreads over the whole alphabet.
  let x = (seed * 0x9e3779b1) | 1;
  let out = "";
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out += alphabet[(x >>> 0) % alphabet.length];
  }
  return out;
}
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64URL = `${ALNUM}_-`;
const HEX = "0123456789abcdef";
const DIG = "0123456789";
const UP = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

type Kind = { name: string; make: (seed: number) => string };
const KINDS: Kind[] = [
  { name: "gateway token", make: (s) => chars(s, 48, HEX) },
  { name: "telegram bot token", make: (s) => `${chars(s, 9, DIG).replace(/^0/, "7")}:AA${chars(s + 1, 33, B64URL)}` },
  {
    name: "slack bot token",
    make: (s) => `xoxb-${chars(s, 12, DIG)}-${chars(s + 1, 13, DIG)}-${chars(s + 2, 24, ALNUM)}`,
  },
  { name: "openai key", make: (s) => `sk-proj-${chars(s, 48, B64URL)}` },
  { name: "anthropic key", make: (s) => `sk-ant-api03-${chars(s, 80, B64URL)}` },
  { name: "github token", make: (s) => `ghp_${chars(s, 36, ALNUM)}` },
  { name: "password", make: (s) => `Pw${chars(s, 14, ALNUM)}9!` },
  { name: "session id", make: (s) => chars(s, 32, B64URL).replace(/^[^A-Za-z]/, "k") },
  { name: "jwt", make: (s) => `eyJhbGciOiJIUzI1NiJ9.eyJ${chars(s, 40, B64URL)}.${chars(s + 1, 43, B64URL)}` },
];

type Form = { name: string; render: (v: string) => string };
const FORMS: Form[] = [
  {
    name: 'log: provided token "…"',
    render: (v) =>
      `2026-11-25T08:00:00.000Z [ws] unauthorized conn=4f2c remote=127.0.0.1 client=cli provided token "${v}" does not match`,
  },
  {
    name: "log: escaped JSON frame",
    render: (v) =>
      `[ws] ← frame {\\"type\\":\\"req\\",\\"method\\":\\"connect\\",\\"params\\":{\\"auth\\":{\\"token\\":\\"${v}\\"}}}`,
  },
  {
    name: "URL-encoded body",
    render: (v) => `[proxy] POST /hooks/agent body=channel%3Dtelegram%26token%3D${encodeURIComponent(v)}%26x%3D1`,
  },
  { name: ".env line", render: (v) => `OPENCLAW_GATEWAY_TOKEN=${v}` },
  { name: "openclaw.json field", render: (v) => `{ "channels": { "telegram": { "botToken": "${v}" } } }` },
  { name: "header -Auth", render: (v) => `upstream request headers: X-Custom-Auth: ${v}` },
  { name: "cookie header", render: (v) => `Cookie: openclaw_session=${v}; theme=dark` },
  { name: "URL userinfo", render: (v) => `HTTPS_PROXY=https://ops:${v}@proxy.internal:3128` },
  { name: "bearer header", render: (v) => `curl -H 'Authorization: Bearer ${v}' http://127.0.0.1:18789/v1/models` },
  { name: "CLI arg", render: (v) => `openclaw gateway call health --token ${v} --json` },
  { name: "quoted password", render: (v) => `[auth] login failed for operator with password '${v}'` },
  { name: "Token scheme", render: (v) => `[discord] request Authorization: Bot ${v}` },
  { name: "query string", render: (v) => `GET /ws?token=${v}&client=ui 401` },
  { name: "set-cookie", render: (v) => `< Set-Cookie: sid=${v}; Path=/; HttpOnly` },
  { name: "escaped twice", render: (v) => `"line":"{\\\\\\"apiKey\\\\\\":\\\\\\"${v}\\\\\\"}"` },
];

/** Forms that only make sense for one kind of value (real shapes, not a template). */
function special(seed: number): Planted[] {
  const tg = KINDS[1]?.make(seed) ?? "";
  const hook = `${chars(seed, 18, DIG).replace(/^0/, "1")}/${chars(seed + 3, 68, B64URL)}`;
  const pair = chars(seed, 8, UP);
  const akia = `AKIA${chars(seed, 16, UP.replace(/[a-z]/g, ""))}`;
  const awsSecret = `${chars(seed + 5, 20, ALNUM)}/${chars(seed + 6, 19, ALNUM)}`;
  const dh = chars(seed + 9, 30, B64URL);
  return [
    {
      form: "telegram token in a URL",
      value: tg,
      text: `[telegram] GET https://api.telegram.org/bot${tg}/getUpdates failed: 409`,
    },
    {
      form: "telegram token in status --all table",
      value: tg.split(":")[1] ?? tg,
      text: `│ Telegram │ ON      │ OK     │ token config (${tg}) · accounts 1/1 │`,
    },
    {
      form: "discord webhook in config",
      value: hook.split("/")[1] ?? hook,
      text: `"webhookUrl": "https://discord.com/api/webhooks/${hook}"`,
    },
    {
      form: "discord webhook in .env",
      value: hook.split("/")[1] ?? hook,
      text: `DISCORD_ALERT_HOOK=https://discordapp.com/api/webhooks/${hook}`,
    },
    { form: "pairing approve", value: pair, text: `Approve with: openclaw pairing approve telegram ${pair}` },
    { form: "pairing code", value: pair, text: `Pairing code: ${pair}` },
    {
      form: "AWS secret without label",
      value: awsSecret,
      text: `aws configure list: access_key ${akia} shared-credentials-file  ${awsSecret}`,
    },
    { form: "device token field", value: dh, text: `{\\"deviceToken\\":\\"${dh}\\",\\"role\\":\\"operator\\"}` },
  ];
}

const B64 = `${ALNUM}+/`;

/**
 * Issue 44, item 1: values no name beside them gives away. A plugin's config (`hmac`, or a name
 * that says nothing), a skill's env (`ACME_LICENSE`), OAuth access and refresh tokens in an
 * auth profile (`access`, `refresh`), and the body of a PEM private key whose BEGIN line the log
 * excerpt cut off (with its END line, or a body line alone). Only what the value is, and where it
 * sits, can tell these apart from evidence.
 */
function unnamed(seed: number): Planted[] {
  const hmac = `${chars(seed, 43, B64)}=`;
  const shared = chars(seed + 1, 32, ALNUM);
  const license = `${chars(seed + 2, 5, UP)}-${chars(seed + 3, 5, UP)}-${chars(seed + 4, 5, UP)}-${chars(seed + 5, 5, UP)}-${chars(seed + 6, 5, UP)}`;
  const skillKey = `lk_${chars(seed + 7, 30, ALNUM)}`;
  const access = `ya29.a0${chars(seed + 8, 120, B64URL)}`;
  const refresh = `1//0${chars(seed + 9, 100, B64URL)}`;
  const hexHmac = chars(seed + 10, 64, HEX);
  const body = Array.from({ length: 5 }, (_, i) => chars(seed + 20 + i, 64, B64));
  const lone = chars(seed + 30, 64, B64);
  const plugin = (config: string) =>
    `"plugins": { "entries": { "acme-hooks": { "enabled": true, "config": { "endpoint": "https://hooks.acme.example/in", ${config}, "retries": 3 } } } }`;
  return [
    { form: "plugin config hmac (openclaw.json)", value: hmac, text: plugin(`"hmac": "${hmac}"`) },
    { form: "plugin config, a name that says nothing", value: shared, text: plugin(`"shared": "${shared}"`) },
    { form: "plugin config hmac in hex (.env)", value: hexHmac, text: `ACME_HOOKS_HMAC=${hexHmac}` },
    {
      form: "skill env without a credential word (openclaw.json)",
      value: license,
      text: `"skills": { "entries": { "acme-lookup": { "enabled": true, "env": { "ACME_LICENSE": "${license}" } } } }`,
    },
    { form: "skill env without a credential word (.env)", value: skillKey, text: `ACME_LICENSE=${skillKey}` },
    {
      form: "OAuth access token in auth-profiles.json",
      value: access,
      text: `{"version":1,"profiles":{"google-gemini-cli:ops@example.com":{"type":"oauth","provider":"google-gemini-cli","access":"${access}","expires":1795000000000}}}`,
    },
    {
      form: "OAuth refresh token in auth-profiles.json",
      value: refresh,
      text: `{"type": "oauth", "provider": "google-gemini-cli", "refresh": "${refresh}", "projectId": "acme-prod"}`,
    },
    {
      form: "PEM body lines, BEGIN cut off by the excerpt",
      value: body.join("\n"),
      text: `${body.join("\n")}\n${chars(seed + 26, 22, B64)}==\n-----END PRIVATE KEY-----`,
    },
    { form: "PEM body line alone", value: lone, text: lone },
  ];
}

export function plantedCorpus(): Planted[] {
  const out: Planted[] = [];
  let seed = 1;
  for (const form of FORMS) {
    for (const kind of KINDS) {
      const value = kind.make(seed++);
      out.push({ form: `${kind.name} / ${form.name}`, value, text: form.render(value) });
    }
  }
  for (let i = 0; i < 4; i++) out.push(...special(1000 + i * 17));
  for (let i = 0; i < 3; i++) out.push(...unnamed(2000 + i * 41));
  return out;
}

/** A value is out if it, its URL-encoded or its JSON-escaped form, or a long piece of it, is in `text`. */
export function leaked(p: Planted, text: string): boolean {
  const forms = [p.value, encodeURIComponent(p.value), JSON.stringify(p.value).slice(1, -1)];
  if (forms.some((f) => text.includes(f))) return true;
  // A piece long enough to be used: 16 characters of a long value.
  if (p.value.length >= 32) {
    for (let i = 0; i + 16 <= p.value.length; i += 8) if (text.includes(p.value.slice(i, i + 16))) return true;
  }
  return false;
}
