/**
 * Planted secrets for the bundle corpus test (issue 15, item 3): every kind in its real
 * format with a random body made at test time, so nothing real-looking is committed and no
 * test passes by knowing a fixed string. Web Crypto only: the same corpus runs in workerd.
 */
export type Source = "config" | "dotenv" | "log" | "cli" | "env";
export const SOURCES: readonly Source[] = ["config", "dotenv", "log", "cli", "env"];

export type Planted = {
  kind: string;
  source: Source;
  /** The whole secret as planted. */
  value: string;
  /** Random parts (≥ 10 characters each) that must not appear anywhere, whole or as a piece. */
  needles: string[];
  /** Variable / field name it is planted under in config, .env and the process environment. */
  name: string;
  /** How it shows in a log line or CLI output. */
  line: string;
};

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER_NUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX = "0123456789abcdef";
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const LOWER_NUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function rand(alphabet: string, n: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(n));
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
const digits = (n: number) => rand("0123456789", n);
/** A password: letters, digits and punctuation that survive in a URL authority. */
const password = () => `${rand(ALNUM, 10)}-${rand(ALNUM, 8)}!${digits(2)}`;

type Kind = {
  kind: string;
  name: string;
  make: () => { value: string; needles: string[] };
  line: (value: string) => string;
};

function pem(label: string, lines = 6): { value: string; needles: string[] } {
  const body = Array.from({ length: lines }, () => rand(B64, 64));
  return {
    value: `-----BEGIN ${label}-----\n${body.join("\n")}\n${rand(B64, 20)}==\n-----END ${label}-----`,
    needles: body.map((l) => l.slice(8, 40)),
  };
}

const one = (value: string, ...needles: string[]) => ({ value, needles: needles.length ? needles : [value] });

/** Draws until `ok`: a random value of the shape a kind promises (so no run fails on a rare draw). */
function until(draw: () => string, ok: (v: string) => boolean): string {
  for (;;) {
    const v = draw();
    if (ok(v)) return v;
  }
}

export const KINDS: Kind[] = [
  {
    kind: "aws-access-key-id",
    name: "AWS_ACCESS_KEY_ID",
    make: () => {
      const body = rand(UPPER_NUM, 16);
      return one(`AKIA${body}`, body);
    },
    line: (v) => `aws: using access key id ${v} for s3 sync`,
  },
  {
    kind: "aws-secret-access-key",
    name: "AWS_SECRET_ACCESS_KEY",
    make: () => {
      const v = rand(B64, 40);
      return one(v, v.slice(0, 14), v.slice(-14));
    },
    line: (v) => `aws_secret_access_key = ${v}`,
  },
  {
    kind: "gcp-service-account",
    name: "GOOGLE_SERVICE_ACCOUNT_JSON",
    make: () => {
      const key = pem("PRIVATE KEY", 8);
      const json = JSON.stringify({
        type: "service_account",
        project_id: `proj-${rand(LOWER_NUM, 6)}`,
        private_key_id: rand(HEX, 40),
        private_key: `${key.value}\n`,
        client_email: `bot@proj-${rand(LOWER_NUM, 6)}.iam.gserviceaccount.com`,
      });
      return { value: json, needles: key.needles };
    },
    line: (v) => `loaded google credentials ${v}`,
  },
  {
    kind: "azure-storage-connection-string",
    name: "AZURE_STORAGE_CONNECTION_STRING",
    make: () => {
      const key = `${rand(B64, 86)}==`;
      return one(
        `DefaultEndpointsProtocol=https;AccountName=st${rand(LOWER_NUM, 8)};AccountKey=${key};EndpointSuffix=core.windows.net`,
        key.slice(0, 20),
        key.slice(40, 70),
      );
    },
    line: (v) => `blob sink configured: ${v}`,
  },
  {
    kind: "azure-client-secret",
    name: "AZURE_CLIENT_SECRET",
    make: () => {
      const v = `${rand(ALNUM, 3)}${digits(1)}Q~${rand(`${ALNUM}_.-`, 34)}`;
      return one(v, v.slice(6, 30));
    },
    line: (v) => `azure: client_secret=${v}`,
  },
  {
    kind: "slack-bot-token",
    name: "SLACK_BOT_TOKEN",
    make: () => {
      const tail = rand(ALNUM, 24);
      return one(`xoxb-${digits(12)}-${digits(13)}-${tail}`, tail);
    },
    line: (v) => `[slack] socket mode starting with ${v}`,
  },
  {
    kind: "slack-user-token",
    name: "SLACK_USER_TOKEN",
    make: () => {
      const tail = rand(HEX, 32);
      return one(`xoxp-${digits(12)}-${digits(12)}-${digits(13)}-${tail}`, tail);
    },
    line: (v) => `[slack] user scope via ${v}`,
  },
  {
    kind: "slack-app-token",
    name: "SLACK_APP_TOKEN",
    make: () => {
      const tail = rand(HEX, 64);
      return one(`xapp-1-A${rand(UPPER_NUM, 10)}-${digits(13)}-${tail}`, tail.slice(0, 20), tail.slice(-20));
    },
    line: (v) => `[slack] app-level token ${v} accepted`,
  },
  {
    kind: "slack-webhook",
    name: "ALERT_WEBHOOK_URL",
    make: () => {
      const tail = rand(ALNUM, 24);
      return one(`https://hooks.slack.com/services/T${rand(UPPER_NUM, 8)}/B${rand(UPPER_NUM, 10)}/${tail}`, tail);
    },
    line: (v) => `alerts go to ${v}`,
  },
  {
    kind: "github-classic-pat",
    name: "GITHUB_TOKEN",
    make: () => {
      const body = rand(ALNUM, 36);
      return one(`ghp_${body}`, body);
    },
    line: (v) => `git remote auth with ${v}`,
  },
  {
    kind: "github-fine-grained-pat",
    name: "GH_FINE_GRAINED",
    make: () => {
      const a = rand(ALNUM, 22);
      const b = rand(ALNUM, 59);
      return one(`github_pat_${a}_${b}`, a, b.slice(0, 20), b.slice(-20));
    },
    line: (v) => `plugin registry pat ${v}`,
  },
  {
    kind: "openai-key",
    name: "OPENAI_API_KEY",
    make: () => {
      const a = rand(`${ALNUM}_-`, 40);
      const b = rand(`${ALNUM}_-`, 40);
      return one(`sk-proj-${a}T3BlbkFJ${b}`, a.slice(0, 20), b.slice(-20));
    },
    line: (v) => `[models] provider openai key ${v} rejected (401)`,
  },
  {
    kind: "anthropic-key",
    name: "ANTHROPIC_API_KEY",
    make: () => {
      const body = rand(`${ALNUM}_-`, 93);
      return one(`sk-ant-api03-${body}AA`, body.slice(0, 20), body.slice(-20));
    },
    line: (v) => `[models] anthropic via ${v}`,
  },
  {
    kind: "stripe-secret-key",
    name: "STRIPE_SECRET",
    make: () => {
      const body = rand(ALNUM, 99);
      return one(`sk_live_${body}`, body.slice(0, 20), body.slice(-20));
    },
    line: (v) => `billing plugin: stripe ${v}`,
  },
  {
    kind: "npm-token",
    name: "NPM_TOKEN",
    make: () => {
      const body = rand(ALNUM, 36);
      return one(`npm_${body}`, body);
    },
    line: (v) => `//registry/:_authToken ${v}`,
  },
  {
    kind: "jwt",
    name: "SESSION_JWT",
    make: () => {
      const header = btoa(JSON.stringify({ alg: "HS256", typ: "JWT" })).replace(/=+$/, "");
      const payload = rand(B64URL, 60);
      const sig = rand(B64URL, 43);
      return one(`${header}.eyJ${payload}.${sig}`, payload.slice(0, 20), sig.slice(0, 20));
    },
    line: (v) => `session cookie jwt ${v} expired`,
  },
  {
    kind: "pem-rsa-private-key",
    name: "TLS_PRIVATE_KEY",
    make: () => pem("RSA PRIVATE KEY"),
    line: (v) => v,
  },
  {
    kind: "ssh-private-key",
    name: "DEPLOY_SSH_KEY",
    make: () => pem("OPENSSH PRIVATE KEY"),
    line: (v) => v,
  },
  {
    kind: "url-with-user",
    name: "PROXY_URL",
    make: () => {
      const pw = password();
      return one(`https://ops:${pw}@proxy.internal:8443/`, pw);
    },
    line: (v) => `[net] proxy ${v} answered 407`,
  },
  {
    kind: "url-without-user",
    name: "CACHE_URL",
    make: () => {
      const pw = password();
      return one(`redis://:${pw}@cache.internal:6379/0`, pw);
    },
    line: (v) => `[cache] connecting ${v}`,
  },
  {
    kind: "postgres-dsn",
    name: "DATABASE_URL",
    make: () => {
      const pw = password();
      return one(`postgres://app:${pw}@db.internal:5432/openclaw?sslmode=require`, pw);
    },
    line: (v) => `[memory] store at ${v}`,
  },
  {
    kind: "mongodb-dsn",
    name: "MONGO_DSN",
    make: () => {
      const pw = password();
      return one(`mongodb+srv://svc:${pw}@cluster0.abcde.mongodb.net/app`, pw);
    },
    line: (v) => `[memory] mongo ${v}`,
  },
  {
    kind: "bearer-header",
    name: "UPSTREAM_AUTH_HEADER",
    make: () => {
      const t = rand(`${ALNUM}._-`, 48);
      return one(`Bearer ${t}`, t.slice(0, 20), t.slice(-20));
    },
    line: (v) => `[http] request headers Authorization: ${v}`,
  },
  {
    kind: "x-api-key-header",
    name: "UPSTREAM_API_HEADER",
    make: () => {
      const t = rand(HEX, 40);
      return one(`x-api-key: ${t}`, t.slice(0, 20), t.slice(-20));
    },
    line: (v) => `[http] request headers ${v}`,
  },
  {
    kind: "basic-auth-header",
    name: "UPSTREAM_BASIC",
    make: () => {
      const creds = `admin:${password()}`;
      const b64 = btoa(creds);
      return one(`Basic ${b64}`, b64.slice(0, 16), b64.slice(-12, -2));
    },
    line: (v) => `[http] Authorization: ${v}`,
  },
  {
    kind: "google-api-key",
    name: "GEMINI_API_KEY",
    make: () => {
      const body = rand(`${ALNUM}_-`, 35);
      return one(`AIza${body}`, body);
    },
    line: (v) => `[models] gemini ${v}`,
  },
  // Issue 44, item 1: values no name gives away (the name beside each has no credential word).
  {
    kind: "plugin-shared-secret",
    name: "ACME_HOOKS_SHARED",
    make: () => {
      // `openssl rand -base64 32`, as plugins' setup notes ask for; one with every character class.
      const v = until(
        () => `${rand(B64, 43)}=`,
        (x) => /[A-Z]/.test(x) && /[a-z]/.test(x) && /\d/.test(x),
      );
      return one(v, v.slice(0, 20), v.slice(-21, -1));
    },
    line: (v) => `[plugins] acme-hooks: verifying deliveries with shared ${v}`,
  },
  {
    kind: "skill-license-key",
    name: "ACME_LICENSE",
    make: () => {
      const groups = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
      // Licence keys mix letters and digits within their groups: in two at least, as the shape rule asks.
      const v = until(
        () => Array.from({ length: 5 }, () => rand(groups, 5)).join("-"),
        (x) => x.split("-").filter((g) => /[A-Z]/.test(g) && /\d/.test(g)).length >= 2,
      );
      return one(v);
    },
    line: (v) => `[skills] acme-lookup: licence ${v} accepted`,
  },
  {
    kind: "oauth-refresh-token",
    name: "GEMINI_OAUTH_REFRESH",
    make: () => {
      const body = until(
        () => rand(B64URL, 100),
        (x) => /[A-Z]/.test(x) && /[a-z]/.test(x) && /\d/.test(x),
      );
      return one(`1//0${body}`, body.slice(0, 20), body.slice(-20));
    },
    line: (v) => `{"type":"oauth","provider":"google-gemini-cli","refresh":"${v}","expires":1795000000000}`,
  },
  {
    kind: "pem-body-without-begin",
    name: "TLS_KEY_TAIL",
    make: () => {
      // What a log excerpt holds when it starts inside a key: body lines, then the END line.
      const key = pem("PRIVATE KEY", 5);
      return { value: key.value.slice(key.value.indexOf("\n") + 1), needles: key.needles };
    },
    line: (v) => v,
  },
  {
    kind: "gateway-password",
    name: "OPENCLAW_GATEWAY_PASSWORD",
    make: () => one(password()),
    line: (v) => `gateway auth password: ${v}`,
  },
];

/** Every kind planted once in every source, each with its own random secret. */
export function plantCorpus(): Planted[] {
  return KINDS.flatMap((k) =>
    SOURCES.map((source) => {
      const { value, needles } = k.make();
      return { kind: k.kind, source, value, needles, name: k.name, line: k.line(value) };
    }),
  );
}
