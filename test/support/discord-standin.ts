import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for Discord's REST API v10, on loopback: the calls clawops makes, with the
 * documented shapes checked and Discord's answers (and failures) given back.
 *  - `POST /channels/{id}/messages`, `PATCH /channels/{id}/messages/{id}`: `Authorization: Bot <token>`,
 *    content ≤ 2,000, ≤ 10 embeds, rows (type 1) of ≤ 5 buttons (type 2, custom_id ≤ 100, label ≤ 80);
 *    an unknown channel 404 {code 10003}, an unknown message 404 {code 10008}.
 *  - `POST /channels/{id}/messages/{id}/threads`: name 1–100; a second thread on one message
 *    400 {code 160004}; the thread's id is the message's.
 *  - `POST /webhooks/{app}/{token}`, `PATCH /webhooks/{app}/{token}/messages/@original`: only for
 *    an interaction token handed out (`interaction()`), no bot token needed.
 *  - `failNext(...)`: the next calls answer 429 (`retry_after` in the body, `X-RateLimit-Global`) or a 5xx.
 * https://discord.com/developers/docs/resources/message, …/topics/rate-limits
 */
export interface StoredDiscordMessage {
  id: string;
  channel: string;
  body: Record<string, unknown>;
  edits: Record<string, unknown>[];
}

export interface DiscordCall {
  method: string;
  path: string;
  status: number;
  body: Record<string, unknown> | null;
}

type Fault = { status: number; retryAfter?: number; global?: boolean };

export class DiscordStandIn {
  readonly calls: DiscordCall[] = [];
  readonly messages = new Map<string, StoredDiscordMessage>();
  /** Webhook messages by interaction token: the edited original and follow-ups. */
  readonly webhooks = new Map<
    string,
    { original: Record<string, unknown> | null; followups: Record<string, unknown>[] }
  >();
  private readonly channels = new Set<string>();
  private readonly threads = new Set<string>();
  private readonly faults: Fault[] = [];
  private server: Server | null = null;
  private seq = 0;
  url = "";

  private readonly token: string;
  readonly applicationId: string;

  constructor(token: string, applicationId: string, channels: string[]) {
    this.token = token;
    this.applicationId = applicationId;
    for (const c of channels) this.channels.add(c);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v10`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** A fresh interaction token whose webhook the stand-in will take. */
  interaction(): string {
    const token = `aW50ZXJhY3Rpb246${++this.seq}${Math.random().toString(36).slice(2)}`;
    this.webhooks.set(token, { original: null, followups: [] });
    return token;
  }

  failNext(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  inChannel(channel: string): StoredDiscordMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel);
  }

  private snowflake(): string {
    return String(1_300_000_000_000_000_000n + BigInt(++this.seq));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const path = (req.url ?? "").replace(/^\/api\/v10/, "");
    const method = req.method ?? "";
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method, path, status, body: parsed });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(body));
    };
    let parsed: Record<string, unknown> | null = null;
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("multipart/form-data")) {
      const m = /name="payload_json"\r\n(?:[^\r]*\r\n)*?\r\n([\s\S]*?)\r\n--/.exec(raw);
      parsed = m?.[1] ? (JSON.parse(m[1]) as Record<string, unknown>) : null;
      // The file itself: a `files[0]` part with its filename, as payload_json's attachments name it.
      const file = /name="files\[0\]"; filename="([^"]+)"/.exec(raw);
      if (!file) return answer(400, { code: 50035, message: "Invalid Form Body: files[0]" });
      parsed = { ...parsed, __file: file[1] };
    } else if (raw) {
      try {
        parsed = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        return answer(400, { code: 50109, message: "The request body contains invalid JSON." });
      }
    }
    const fault = this.faults.shift();
    if (fault?.status === 429) {
      return answer(
        429,
        { message: "You are being rate limited.", retry_after: fault.retryAfter ?? 0.01, global: !!fault.global },
        fault.global ? { "x-ratelimit-global": "true", "retry-after": "1" } : { "retry-after": "1" },
      );
    }
    if (fault) return answer(fault.status, { message: "Internal Server Error", code: 0 });

    const webhook = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(path);
    if (webhook) {
      const hook = this.webhooks.get(webhook[2] ?? "");
      if (webhook[1] !== this.applicationId || !hook) return answer(404, { code: 10015, message: "Unknown Webhook" });
      const problem = checkMessage(parsed);
      if (problem) return answer(400, { code: 50035, message: `Invalid Form Body: ${problem}` });
      if (webhook[3] && method === "PATCH") hook.original = parsed;
      else if (!webhook[3] && method === "POST") hook.followups.push(parsed ?? {});
      else return answer(405, { code: 0, message: "405: Method Not Allowed" });
      return answer(200, { id: this.snowflake(), ...parsed });
    }

    if (req.headers.authorization !== `Bot ${this.token}`)
      return answer(401, { code: 0, message: "401: Unauthorized" });
    const thread = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
    if (thread && method === "POST") {
      const [, channel = "", message = ""] = thread;
      if (this.messages.get(message)?.channel !== channel)
        return answer(404, { code: 10008, message: "Unknown Message" });
      const name = parsed?.name;
      if (typeof name !== "string" || name.length < 1 || name.length > 100)
        return answer(400, { code: 50035, message: "Invalid Form Body: name" });
      if (this.threads.has(message))
        return answer(400, { code: 160004, message: "A thread has already been created for this message" });
      this.threads.add(message);
      this.channels.add(message);
      return answer(201, { id: message, type: 11, parent_id: channel, name });
    }
    const post = /^\/channels\/(\d+)\/messages$/.exec(path);
    if (post && method === "POST") {
      const channel = post[1] ?? "";
      if (!this.channels.has(channel)) return answer(404, { code: 10003, message: "Unknown Channel" });
      const problem = checkMessage(parsed);
      if (problem) return answer(400, { code: 50035, message: `Invalid Form Body: ${problem}` });
      const id = this.snowflake();
      this.messages.set(id, { id, channel, body: parsed ?? {}, edits: [] });
      return answer(200, {
        id,
        channel_id: channel,
        ...parsed,
        attachments: type.startsWith("multipart") ? [{ id: this.snowflake() }] : [],
      });
    }
    const patch = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (patch && method === "PATCH") {
      const stored = this.messages.get(patch[2] ?? "");
      if (!stored || stored.channel !== patch[1]) return answer(404, { code: 10008, message: "Unknown Message" });
      const problem = checkMessage(parsed);
      if (problem) return answer(400, { code: 50035, message: `Invalid Form Body: ${problem}` });
      stored.edits.push(parsed ?? {});
      stored.body = parsed ?? {};
      return answer(200, { id: stored.id, channel_id: stored.channel, ...parsed });
    }
    return answer(404, { code: 0, message: "404: Not Found" });
  }
}

/** Discord's documented limits on a message body; the first broken one, or null. */
function checkMessage(body: Record<string, unknown> | null): string | null {
  if (!body) return "empty body";
  const content = body.content;
  if (content !== undefined && (typeof content !== "string" || content.length > 2000)) return "content";
  const embeds = (body.embeds ?? []) as { title?: string; description?: string }[];
  if (!Array.isArray(embeds) || embeds.length > 10) return "embeds";
  let total = 0;
  for (const e of embeds) {
    if ((e.title?.length ?? 0) > 256 || (e.description?.length ?? 0) > 4096) return "embed";
    total += (e.title?.length ?? 0) + (e.description?.length ?? 0);
  }
  if (total > 6000) return "embeds total";
  if (!content && embeds.length === 0 && !(body.components as unknown[] | undefined)?.length) return "empty message";
  const rows = (body.components ?? []) as {
    type: number;
    components: { type: number; custom_id?: string; label?: string; style?: number }[];
  }[];
  if (rows.length > 5) return "components";
  const ids = new Set<string>();
  for (const row of rows) {
    if (row.type !== 1 || !Array.isArray(row.components) || row.components.length > 5) return "action row";
    for (const b of row.components) {
      if (b.type !== 2 || ![1, 2, 3, 4].includes(b.style ?? 0)) return "button";
      if (!b.custom_id || b.custom_id.length > 100 || ids.has(b.custom_id)) return "custom_id";
      if (!b.label || b.label.length > 80) return "label";
      ids.add(b.custom_id);
    }
  }
  return null;
}
