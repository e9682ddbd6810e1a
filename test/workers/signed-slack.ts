import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { Incident } from "../../src/core/ports/incident-book.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";

/**
 * Slash commands as Slack sends them, signed here with WebCrypto (independently of
 * src/core/slack/verify.ts), posted to the Worker's real `fetch` export.
 */
export interface SlackCommandReply {
  response_type?: string;
  text?: string;
  blocks?: { type: string; text?: { text?: string }; elements?: { text?: string }[] }[];
  ok?: boolean;
  error?: { code: string; message: string };
}

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
}

function slashCommandBody(text: string, user = "U0OPERATOR"): string {
  // Field order and values as Slack sends a slash command (application/x-www-form-urlencoded).
  return new URLSearchParams({
    token: "legacy-verification-token-unused",
    team_id: "T0001",
    team_domain: "acme",
    channel_id: "C0INCIDENT",
    channel_name: "incidents",
    user_id: user,
    user_name: "operator",
    command: "/openclaw",
    text,
    api_app_id: "A0CLAWOPS",
    is_enterprise_install: "false",
    response_url: "https://hooks.slack.invalid/commands/T0001/1/abc",
    trigger_id: `${Date.now()}.${crypto.randomUUID()}`,
  }).toString();
}

/** The lowercase hex HMAC-SHA256 of `message` under `secret`, in WebCrypto (what Slack, PagerDuty and Jira sign with). */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The headers of a form-encoded request Slack signed with `secret` at `timestamp` (seconds). */
export async function slackHeaders(secret: string, body: string, timestamp: number): Promise<Record<string, string>> {
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": `v0=${await hmacSha256Hex(secret, `v0:${timestamp}:${body}`)}`,
  };
}

export async function postSlashCommand(
  text: string,
  opts: { secret?: string; timestamp?: number; user?: string } = {},
): Promise<{ status: number; body: SlackCommandReply }> {
  const body = slashCommandBody(text, opts.user);
  const headers = await slackHeaders(opts.secret ?? env.SLACK_SIGNING_SECRET, body, opts.timestamp ?? nowSeconds());
  const res = await exports.default.fetch("https://clawops.example/slack/commands", { method: "POST", headers, body });
  return { status: res.status, body: await res.json<SlackCommandReply>() };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** An Events API request (a JSON body: `url_verification` or an `event_callback`), signed as Slack signs it. */
export async function postSlackEvent(
  body: string,
  opts: { secret?: string; timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const signed = await slackHeaders(opts.secret ?? env.SLACK_SIGNING_SECRET, body, opts.timestamp ?? nowSeconds());
  const res = await exports.default.fetch("https://clawops.example/slack/events", {
    method: "POST",
    headers: { ...signed, "content-type": "application/json", ...opts.headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Declares an incident as an operator does (`/openclaw incident new <severity> <title>`, signed,
 * through the Worker's fetch) and reads its record back from the directory Durable Object.
 */
export async function declareIncident(
  severity: string,
  title: string,
  user = "U0OPERATOR",
): Promise<{ store: DirectoryStore; incident: Incident }> {
  const declared = await postSlashCommand(`incident new ${severity} ${title}`, { user });
  expect(declared.status).toBe(200);
  const store = new DirectoryStore(env.DIRECTORY);
  const incident = (await store.listIncidents({ open: true })).find((i) => i.title === title);
  if (!incident) throw new Error(`no incident "${title}" declared`);
  return { store, incident };
}
