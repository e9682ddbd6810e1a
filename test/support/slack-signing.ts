import { createHmac, randomUUID } from "node:crypto";

/**
 * Builds a slash-command request exactly as Slack sends it: form-encoded body and the v0
 * signature over `v0:{timestamp}:{body}`, computed independently of the code under test
 * (node:crypto here, WebCrypto in src/core).
 */
export interface SlashCommandFields {
  text: string;
  channel_id?: string;
  user_id?: string;
  trigger_id?: string;
  command?: string;
  /** Where Slack would take replies to this command (default: an address that goes nowhere). */
  response_url?: string;
}

export function slashCommandBody(fields: SlashCommandFields): string {
  return new URLSearchParams({
    token: "legacy-verification-token-unused",
    team_id: "T0001",
    team_domain: "acme",
    channel_id: fields.channel_id ?? "C0INCIDENT",
    channel_name: "incidents",
    user_id: fields.user_id ?? "U0OPERATOR",
    user_name: "operator",
    command: fields.command ?? "/openclaw",
    text: fields.text,
    api_app_id: "A0CLAWOPS",
    is_enterprise_install: "false",
    response_url: fields.response_url ?? "https://hooks.slack.invalid/commands/T0001/1/abc",
    trigger_id: fields.trigger_id ?? `${Date.now()}.${randomUUID()}`,
  }).toString();
}

export function signSlack(secret: string, body: string, timestamp = Math.floor(Date.now() / 1000)) {
  const signature = `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestamp),
    "x-slack-signature": signature,
  };
}

export async function postSlashCommand(
  baseUrl: string,
  secret: string,
  fields: SlashCommandFields,
  extraHeaders: Record<string, string> = {},
): Promise<{
  status: number;
  body: { response_type?: string; text?: string; blocks?: unknown[]; error?: { code: string } };
}> {
  const body = slashCommandBody(fields);
  const res = await fetch(`${baseUrl}/slack/commands`, {
    method: "POST",
    headers: { ...signSlack(secret, body), ...extraHeaders },
    body,
  });
  return { status: res.status, body: (await res.json()) as never };
}

/**
 * Polls `/openclaw hosts` (really signed) until `host` shows online. `describe` adds context
 * (e.g. the agent's log) to the error when it never does.
 */
export async function waitHostOnline(
  baseUrl: string,
  secret: string,
  host: string,
  opts: { timeoutMs?: number; describe?: () => string } = {},
): Promise<void> {
  const end = Date.now() + (opts.timeoutMs ?? 30_000);
  while (Date.now() < end) {
    const { body } = await postSlashCommand(baseUrl, secret, { text: "hosts" });
    if (JSON.stringify(body).includes(`*${host}* — 🟢 online`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`agent for ${host} did not come online${opts.describe ? `:\n${opts.describe()}` : ""}`);
}

/** The id of the finding ranked first in a result message: `*1. 🔴 Title*  \`rule-id\``. */
export function firstFindingId(blocks: unknown): string | undefined {
  return /\*1\. [^*]+\*\s+`([a-z0-9-]+)`/.exec(JSON.stringify(blocks ?? []).replace(/\\"/g, '"'))?.[1];
}

/**
 * An Events API request as Slack sends it (https://api.slack.com/apis/events-api): a JSON
 * `event_callback` envelope (or `url_verification`), signed like every Slack request. `event`
 * is the inner event as Slack documents each type (message, message_changed, message_deleted,
 * reaction_added, reaction_removed).
 */
export function eventCallbackBody(event: Record<string, unknown>, eventId = `Ev${randomUUID().slice(0, 10)}`): string {
  return JSON.stringify({
    token: "legacy-verification-token-unused",
    team_id: "T0001",
    api_app_id: "A0CLAWOPS",
    event,
    type: "event_callback",
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: "T0001", user_id: "U0CLAWOPSBOT", is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: "4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMDAwMSJ9",
  });
}

export async function postSlackEvent(
  baseUrl: string,
  secret: string,
  body: string,
  opts: { timestamp?: number; headers?: Record<string, string> } = {},
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${baseUrl}/slack/events`, {
    method: "POST",
    headers: { ...signSlack(secret, body, opts.timestamp), "content-type": "application/json", ...opts.headers },
    body,
  });
  return { status: res.status, text: await res.text() };
}
