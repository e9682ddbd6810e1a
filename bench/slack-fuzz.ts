import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { spawnControlPlane } from "../test/support/control-plane-process.ts";
import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { SlackStandIn } from "../test/support/slack-standin.ts";

/**
 * `npm run bench:fuzz [-- --requests N]`: forged requests against Slack's two request URLs of
 * a control plane running as `npm start` runs it (its own process, loopback only), 20 at a
 * time. Every kind of forgery a Slack endpoint meets: no or partial headers, the wrong
 * secret, stale and future timestamps, a body changed after signing, a signature for another
 * body, malformed signatures and timestamps, oversized and binary bodies. Counts what each
 * got back; the run fails (exit 1) if any was accepted (2xx), any got a 5xx, or Slack's Web
 * API saw a single call. Writes bench/results/slack-fuzz.{md,json}.
 */
const { values } = parseArgs({ options: { requests: { type: "string" } } });
const total = Number(values.requests ?? 10_000);
const SECRET = "fuzz-signing-secret-0123456789abcdef";
const TOKEN = "xoxb-fuzz";

type Forgery = (i: number) => { path: string; headers: Record<string, string>; body: string | Uint8Array };
const now = () => Math.floor(Date.now() / 1000);
const form = (i: number) => slashCommandBody({ text: `freeze all fuzz ${i}`, trigger_id: `fuzz.${i}` });
const FORGERIES: Record<string, Forgery> = {
  "no headers": (i) => ({ path: "commands", headers: {}, body: form(i) }),
  "timestamp only": (i) => ({
    path: "commands",
    headers: { "x-slack-request-timestamp": String(now()) },
    body: form(i),
  }),
  "signature only": (i) => ({
    path: "interactions",
    headers: { "x-slack-signature": `v0=${"a".repeat(64)}` },
    body: form(i),
  }),
  "wrong secret": (i) => ({ path: "commands", headers: signSlack("not-the-secret", form(i)), body: form(i) }),
  "stale (6 min)": (i) => ({ path: "commands", headers: signSlack(SECRET, form(i), now() - 360), body: form(i) }),
  "future (6 min)": (i) => ({ path: "interactions", headers: signSlack(SECRET, form(i), now() + 360), body: form(i) }),
  "body changed after signing": (i) => ({
    path: "commands",
    headers: signSlack(SECRET, form(i)),
    body: form(i).replace("freeze", "unfreeze"),
  }),
  "signature of another body": (i) => ({ path: "commands", headers: signSlack(SECRET, form(i + 1)), body: form(i) }),
  "uppercase hex signature": (i) => {
    const h = signSlack(SECRET, form(i));
    return {
      path: "commands",
      headers: { ...h, "x-slack-signature": h["x-slack-signature"].toUpperCase() },
      body: form(i),
    };
  },
  "truncated signature": (i) => {
    const h = signSlack(SECRET, form(i));
    return {
      path: "commands",
      headers: { ...h, "x-slack-signature": h["x-slack-signature"].slice(0, 40) },
      body: form(i),
    };
  },
  "two signatures in one header": (i) => {
    const h = signSlack(SECRET, form(i));
    return {
      path: "commands",
      headers: { ...h, "x-slack-signature": `v0=${"0".repeat(64)}, ${h["x-slack-signature"]}` },
      body: form(i),
    };
  },
  "non-integer timestamp": (i) => ({
    path: "commands",
    headers: { ...signSlack(SECRET, form(i)), "x-slack-request-timestamp": `${now()}.5` },
    body: form(i),
  }),
  "interaction with a command's signature": (i) => {
    const payload = new URLSearchParams({ payload: JSON.stringify({ type: "block_actions", user: { id: "U1" } }) });
    return { path: "interactions", headers: signSlack(SECRET, form(i)), body: payload.toString() };
  },
  "binary body": (i) => ({
    path: "interactions",
    headers: signSlack(SECRET, "x"),
    body: crypto.getRandomValues(new Uint8Array(256 + (i % 512))),
  }),
  "oversized (2 MiB)": () => ({
    path: "interactions",
    headers: signSlack(SECRET, "x"),
    body: "a".repeat(2 * 1024 * 1024),
  }),
};

const slack = new SlackStandIn(TOKEN);
const apiUrl = await slack.start();
const cp = await spawnControlPlane({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: TOKEN, SLACK_API_URL: apiUrl });
const kinds = Object.keys(FORGERIES);
const counts: Record<string, Record<string, number>> = Object.fromEntries(kinds.map((k) => [k, {}]));
let accepted = 0;
let serverErrors = 0;
let next = 0;
const started = performance.now();
try {
  await Promise.all(
    Array.from({ length: 20 }, async () => {
      for (let i = next++; i < total; i = next++) {
        const kind = kinds[i % kinds.length] as string;
        const f = (FORGERIES[kind] as Forgery)(i);
        const bucket = counts[kind] as Record<string, number>;
        let status: string;
        try {
          const res = await fetch(`${cp.url}/slack/${f.path}`, {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", connection: "close", ...f.headers },
            body: f.body as BodyInit,
          });
          await res.arrayBuffer();
          status = String(res.status);
          if (res.status < 300) accepted++;
          if (res.status >= 500) serverErrors++;
        } catch {
          // The server answered 413 on the Content-Length and closed the socket while the
          // body was still being sent: refused, and said so before the client noticed.
          status = "closed mid-upload";
        }
        bucket[status] = (bucket[status] ?? 0) + 1;
      }
    }),
  );
} finally {
  await cp.stop();
  await slack.stop();
}
const seconds = (performance.now() - started) / 1000;
const slackCalls = slack.calls.length;
const lines = [
  `Measured ${new Date().toISOString()}: ${total} forged requests, 20 concurrent, control plane in its own process, ${seconds.toFixed(1)} s.`,
  "",
  "| forgery | answers |",
  "|---|---|",
  ...kinds.map(
    (k) =>
      `| ${k} | ${Object.entries(counts[k] ?? {})
        .map(([s, n]) => `${s} × ${n}`)
        .join(", ")} |`,
  ),
  "",
  `Accepted: ${accepted}. 5xx: ${serverErrors}. Slack Web API calls: ${slackCalls}.`,
];
const out = join(import.meta.dirname, "results", "slack-fuzz");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(`${out}.md`, `${lines.join("\n")}\n`);
writeFileSync(
  `${out}.json`,
  `${JSON.stringify({ total, seconds, accepted, serverErrors, slackCalls, counts }, null, 2)}\n`,
);
process.stdout.write(`${lines.join("\n")}\n`);
if (accepted > 0 || serverErrors > 0 || slackCalls > 0) process.exit(1);
