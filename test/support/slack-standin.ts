import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the Slack Web API methods clawops calls. It answers the way
 * Slack does (HTTP 200 with `ok:false` and an error string) and checks each call against
 * the documented shape:
 *  - auth.test:        https://api.slack.com/methods/auth.test (the start's check of the bot token)
 *  - chat.postMessage: https://api.slack.com/methods/chat.postMessage
 *  - chat.update:      https://api.slack.com/methods/chat.update
 *  - chat.getPermalink: https://api.slack.com/methods/chat.getPermalink
 *  - Block Kit limits: https://api.slack.com/reference/block-kit/blocks
 *  - a command's response_url (`/hooks/…` here): JSON with `response_type`, `text`/`blocks`,
 *    https://api.slack.com/interactivity/handling#message_responses
 * Anything off is recorded in `violations` so a test fails with the reason.
 *
 * It can also fail the way Slack does (`failNext`): HTTP 429 with `Retry-After` and
 * `{"ok":false,"error":"ratelimited"}` (https://api.slack.com/apis/rate-limits), a 500/502/503
 * HTML page from the edge, a connection reset; and answer `ok:false` for a channel the bot
 * cannot post in (`channelErrors`: not_in_channel, channel_not_found, is_archived).
 */
export type SlackFault =
  | { kind: "ratelimited"; retryAfterS: number }
  | { kind: "http"; status: 500 | 502 | 503 | 504 }
  | { kind: "reset" };

export interface EphemeralResponse {
  path: string;
  body: Record<string, unknown>;
}

export interface RecordedCall {
  method: string;
  body: Record<string, unknown>;
  /** ts assigned (postMessage) or targeted (update). */
  ts: string;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  threadTs: string | null;
  text: string;
  blocks: Record<string, unknown>[];
  edits: number;
}

export interface StandInUpload {
  fileId: string;
  filename: string;
  length: number;
  bytes: Uint8Array | null;
  completed: {
    channel: string | null;
    threadTs: string | null;
    title: string | null;
    initialComment: string | null;
  } | null;
}

const BLOCK_TYPES = new Set([
  "section",
  "header",
  "context",
  "divider",
  "actions",
  "image",
  "rich_text",
  "input",
  "file",
  "video",
]);

export class SlackStandIn {
  readonly calls: RecordedCall[] = [];
  readonly violations: string[] = [];
  readonly messages = new Map<string, StoredMessage>();
  /** More Web API methods (e.g. apps.connections.open, by test/support/socket-mode-standin.ts). */
  readonly extraMethods = new Map<string, (req: IncomingMessage, raw: string) => Record<string, unknown>>();
  /** Files of the external upload flow, by file id. */
  readonly uploads = new Map<string, StandInUpload>();
  /** Faults still to serve, per method (`upload` for the byte upload), in order. */
  readonly faults = new Map<string, SlackFault[]>();
  /** Every fault served, in order, as `method:kind`. */
  readonly faultsServed: string[] = [];
  /** Channels the bot cannot post in, and Slack's answer for them (e.g. not_in_channel). */
  readonly channelErrors = new Map<string, string>();
  /** What arrived at response_url addresses. */
  readonly responses: EphemeralResponse[] = [];
  private server: Server | null = null;
  private seq = 0;
  private waiters: { pred: () => boolean; resolve: () => void }[] = [];
  private readonly token: string;
  /** What auth.test answers for the bot token (the workspace and the bot the banner names). */
  identity = {
    url: "https://acme-ops.slack.com/",
    team: "Acme Ops",
    user: "clawops",
    team_id: "T0001",
    user_id: "U0CLAWOPS",
    bot_id: "B0CLAWOPS",
  };
  url = "";

  constructor(token: string) {
    this.token = token;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/api`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = null;
  }

  /** The next calls of `method` fail with these faults, one per call. */
  failNext(method: string, ...faults: SlackFault[]): void {
    this.faults.set(method, [...(this.faults.get(method) ?? []), ...faults]);
  }

  /** A response_url for one command, answered by this stand-in. */
  responseUrl(id: string): string {
    return `${this.url.replace(/\/api$/, "")}/hooks/commands/T0001/${id}/secret`;
  }

  /** Top-level messages in a channel, and replies in a thread, in order. */
  thread(channel: string, threadTs: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel && m.threadTs === threadTs);
  }
  topLevel(channel: string): StoredMessage[] {
    return [...this.messages.values()].filter((m) => m.channel === channel && m.threadTs === null);
  }

  /** Waits for the first file completed after `since` uploads had been issued (`uploads.size` before). */
  async waitForUpload(since: number, timeoutMs: number, what: string): Promise<StandInUpload> {
    const completed = () => [...this.uploads.values()].slice(since).find((u) => u.completed !== null);
    await this.waitFor(() => completed() !== undefined, timeoutMs, what);
    return completed() as StandInUpload;
  }

  waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { pred, resolve: () => {} };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what}; calls: ${this.calls.map((c) => c.method).join(", ")}; ` +
              `last messages: ${JSON.stringify([...this.messages.values()].slice(-6).map((m) => `${m.channel}${m.threadTs ? " (thread)" : ""}: ${m.text.slice(0, 160)}`))}`,
          ),
        );
      }, timeoutMs);
      waiter.resolve = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
    const reply = (body: Record<string, unknown>) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      for (const w of [...this.waiters]) {
        if (w.pred()) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve();
        }
      }
    };
    if (req.method !== "POST") return reply({ ok: false, error: "invalid_request" });
    if ((req.url ?? "").startsWith("/hooks/")) return this.handleResponseUrl(req, raw, res);
    if ((req.url ?? "").startsWith("/upload/")) {
      if (this.serveFault("upload", req, res)) return;
      return this.handleUpload(req, Buffer.concat(chunks), reply);
    }
    if (this.serveFault(method, req, res)) return;
    const extra = this.extraMethods.get(method);
    if (extra) return reply(extra(req, raw));
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      this.violations.push(`${method}: Authorization header is not "Bearer <bot token>"`);
      return reply({ ok: false, error: "invalid_auth" });
    }
    if (method.startsWith("files."))
      return this.handleFiles(method, String(req.headers["content-type"] ?? ""), raw, reply);
    if (method === "chat.getPermalink")
      return this.handlePermalink(String(req.headers["content-type"] ?? ""), raw, reply);
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      this.violations.push(
        `${method}: content-type ${req.headers["content-type"]} (JSON body requires application/json)`,
      );
      return reply({ ok: false, error: "invalid_form_data" });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      this.violations.push(`${method}: body is not JSON`);
      return reply({ ok: false, error: "invalid_json" });
    }
    if (method === "auth.test") {
      // https://api.slack.com/methods/auth.test: who the token is; a bot token carries bot_id.
      this.calls.push({ method, body, ts: "" });
      return reply({ ok: true, ...this.identity });
    }
    const problems = this.checkCommon(body);
    const refused = this.channelErrors.get(String(body.channel));
    if (refused && (method === "chat.postMessage" || method === "chat.update")) {
      this.calls.push({ method: `${method}:${refused}`, body, ts: "" });
      return reply({ ok: false, error: refused });
    }
    if (method === "chat.postMessage") {
      const threadTs = body.thread_ts;
      if (threadTs !== undefined) {
        const parent =
          typeof threadTs === "string" ? this.messages.get(key(String(body.channel), threadTs)) : undefined;
        if (!parent) problems.push("thread_ts does not name a message in this channel");
        else if (parent.threadTs !== null) problems.push("thread_ts names a reply, not a thread parent");
      }
      if (problems.length) return this.fail(method, problems, reply);
      const ts = `${1_790_000_000 + this.seq}.${String(++this.seq).padStart(6, "0")}`;
      const msg: StoredMessage = {
        channel: String(body.channel),
        ts,
        threadTs: typeof threadTs === "string" ? threadTs : null,
        text: String(body.text ?? ""),
        blocks: (body.blocks as Record<string, unknown>[]) ?? [],
        edits: 0,
      };
      this.messages.set(key(msg.channel, ts), msg);
      this.calls.push({ method, body, ts });
      return reply({ ok: true, channel: msg.channel, ts, message: { text: msg.text, ts } });
    }
    if (method === "chat.update") {
      if (typeof body.ts !== "string") problems.push("ts is required");
      const msg = this.messages.get(key(String(body.channel), String(body.ts)));
      if (!msg) return this.fail(method, [...problems, "message_not_found"], reply, "message_not_found");
      if (problems.length) return this.fail(method, problems, reply);
      msg.text = String(body.text ?? msg.text);
      msg.blocks = (body.blocks as Record<string, unknown>[]) ?? msg.blocks;
      msg.edits++;
      this.calls.push({ method, body, ts: msg.ts });
      return reply({ ok: true, channel: msg.channel, ts: msg.ts, text: msg.text });
    }
    this.violations.push(`unexpected method ${method}`);
    return reply({ ok: false, error: "unknown_method" });
  }

  /**
   * chat.getPermalink (https://api.slack.com/methods/chat.getPermalink): form-encoded `channel`
   * and `message_ts` (it takes no JSON body) → `permalink`; `message_not_found` for a message
   * this workspace does not have.
   */
  private handlePermalink(contentType: string, raw: string, reply: (b: Record<string, unknown>) => void) {
    const method = "chat.getPermalink";
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      this.violations.push(`${method}: content-type ${contentType} (this method takes form-encoded arguments)`);
      return reply({ ok: false, error: "invalid_form_data" });
    }
    const form = new URLSearchParams(raw);
    const channel = form.get("channel") ?? "";
    const ts = form.get("message_ts") ?? "";
    if (!channel || !ts) return this.fail(method, ["channel and message_ts are required"], reply);
    const msg = this.messages.get(key(channel, ts));
    this.calls.push({ method, body: { channel, message_ts: ts }, ts });
    if (!msg) return reply({ ok: false, error: "message_not_found" });
    return reply({
      ok: true,
      channel,
      permalink: `https://clawops-test.slack.com/archives/${channel}/p${ts.replace(".", "")}`,
    });
  }

  /**
   * The external upload flow (files.upload is retired):
   *  - files.getUploadURLExternal: form-encoded `filename`, `length` (integer bytes) →
   *    `upload_url`, `file_id`. https://api.slack.com/methods/files.getUploadURLExternal
   *  - POST the bytes to `upload_url`: their count must equal `length`.
   *  - files.completeUploadExternal: form-encoded `files` (JSON array of {id, title?}),
   *    `channel_id`, optional `thread_ts` (a thread parent), `initial_comment`.
   *    https://api.slack.com/methods/files.completeUploadExternal
   */
  private handleFiles(method: string, contentType: string, raw: string, reply: (b: Record<string, unknown>) => void) {
    if (!contentType.startsWith("application/x-www-form-urlencoded")) {
      this.violations.push(`${method}: content-type ${contentType} (this method takes form-encoded arguments)`);
      return reply({ ok: false, error: "invalid_form_data" });
    }
    const form = new URLSearchParams(raw);
    const body = Object.fromEntries(form.entries());
    if (method === "files.getUploadURLExternal") {
      const problems: string[] = [];
      const filename = form.get("filename");
      const length = form.get("length");
      if (!filename) problems.push("filename is required");
      if (!length || !/^[1-9]\d*$/.test(length)) problems.push("length must be a positive integer");
      if (problems.length) return this.fail(method, problems, reply);
      const fileId = `F${String(++this.seq).padStart(8, "0")}`;
      this.uploads.set(fileId, {
        fileId,
        filename: String(filename),
        length: Number(length),
        bytes: null,
        completed: null,
      });
      this.calls.push({ method, body, ts: "" });
      return reply({ ok: true, upload_url: `${this.url.replace(/\/api$/, "")}/upload/v1/${fileId}`, file_id: fileId });
    }
    if (method === "files.completeUploadExternal") {
      const problems: string[] = [];
      let files: { id?: unknown; title?: unknown }[] = [];
      try {
        files = JSON.parse(form.get("files") ?? "");
        if (!Array.isArray(files) || files.length === 0) problems.push("files must be a non-empty JSON array");
      } catch {
        problems.push("files is not JSON");
      }
      const channel = form.get("channel_id");
      const threadTs = form.get("thread_ts");
      if (threadTs && !channel) problems.push("thread_ts needs channel_id");
      if (channel && threadTs) {
        const parent = this.messages.get(key(channel, threadTs));
        if (!parent || parent.threadTs !== null)
          problems.push("thread_ts does not name a thread parent in this channel");
      }
      for (const f of Array.isArray(files) ? files : []) {
        const upload = typeof f.id === "string" ? this.uploads.get(f.id) : undefined;
        if (!upload) problems.push(`file ${String(f.id)} was never issued an upload URL`);
        else if (!upload.bytes) problems.push(`file ${upload.fileId} was completed before its bytes were uploaded`);
      }
      if (problems.length) return this.fail(method, problems, reply);
      for (const f of files) {
        const upload = this.uploads.get(String(f.id));
        if (upload)
          upload.completed = {
            channel: channel ?? null,
            threadTs: threadTs ?? null,
            title: typeof f.title === "string" ? f.title : null,
            initialComment: form.get("initial_comment"),
          };
      }
      this.calls.push({ method, body, ts: "" });
      return reply({ ok: true, files: files.map((f) => ({ id: f.id, title: f.title })) });
    }
    this.violations.push(`unexpected method ${method}`);
    return reply({ ok: false, error: "unknown_method" });
  }

  private handleUpload(req: IncomingMessage, bytes: Buffer, reply: (b: Record<string, unknown>) => void) {
    const fileId = (req.url ?? "").split("/").pop() ?? "";
    const upload = this.uploads.get(fileId);
    if (!upload) {
      this.violations.push(`upload: unknown upload URL ${req.url}`);
      return reply({ ok: false, error: "invalid_upload_url" });
    }
    if (bytes.length !== upload.length) {
      this.violations.push(
        `upload: ${bytes.length} bytes sent, but getUploadURLExternal announced length=${upload.length}`,
      );
    }
    upload.bytes = new Uint8Array(bytes);
    this.calls.push({ method: "upload", body: { fileId, bytes: bytes.length }, ts: "" });
    return reply({ ok: true });
  }

  /** Serves the next fault queued for `method`, if any; true when it did. */
  private serveFault(method: string, req: IncomingMessage, res: ServerResponse): boolean {
    const queue = this.faults.get(method);
    const fault = queue?.shift();
    if (!fault) return false;
    this.faultsServed.push(`${method}:${fault.kind === "http" ? fault.status : fault.kind}`);
    if (fault.kind === "reset") {
      req.socket.destroy();
      return true;
    }
    if (fault.kind === "ratelimited") {
      res.writeHead(429, { "content-type": "application/json", "retry-after": String(fault.retryAfterS) });
      res.end(JSON.stringify({ ok: false, error: "ratelimited" }));
      return true;
    }
    res.writeHead(fault.status, { "content-type": "text/html" });
    res.end(`<html><body><h1>${fault.status}</h1>Slack is having trouble.</body></html>`);
    return true;
  }

  /**
   * A command's response_url: JSON (`application/json`), `response_type` `ephemeral` or
   * `in_channel`, `text` and/or `blocks` (same Block Kit limits), no bot token needed.
   * https://api.slack.com/interactivity/handling#message_responses
   */
  private handleResponseUrl(req: IncomingMessage, raw: string, res: ServerResponse) {
    const answer = (status: number, text: string) => {
      res.writeHead(status, { "content-type": "text/plain" });
      res.end(text);
      for (const w of [...this.waiters]) {
        if (w.pred()) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve();
        }
      }
    };
    if (this.serveFault("response_url", req, res)) return;
    if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) {
      this.violations.push(`response_url: content-type ${req.headers["content-type"]} (must be application/json)`);
      return answer(400, "invalid_payload");
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw);
    } catch {
      this.violations.push("response_url: body is not JSON");
      return answer(400, "invalid_payload");
    }
    const problems = this.checkCommon({ channel: "response_url", ...body });
    if (body.response_type !== "ephemeral" && body.response_type !== "in_channel")
      problems.push(`response_type ${String(body.response_type)} (ephemeral or in_channel)`);
    if (problems.length) {
      for (const p of problems) this.violations.push(`response_url: ${p}`);
      return answer(400, "invalid_payload");
    }
    this.responses.push({ path: req.url ?? "", body });
    return answer(200, "ok");
  }

  private checkCommon(body: Record<string, unknown>): string[] {
    const problems: string[] = [];
    if (typeof body.channel !== "string" || body.channel === "") problems.push("channel is required");
    const hasText = typeof body.text === "string" && body.text.length > 0;
    const blocks = body.blocks;
    if (!hasText && !Array.isArray(blocks)) problems.push("no_text: text or blocks required");
    // With blocks, Slack wants `text` too as the notification/accessibility fallback.
    if (Array.isArray(blocks) && !hasText) problems.push("blocks without a fallback text");
    if (typeof body.text === "string" && body.text.length > 40_000) problems.push("msg_too_long");
    if (Array.isArray(blocks)) {
      if (blocks.length > 50) problems.push(`invalid_blocks: ${blocks.length} blocks (max 50)`);
      for (const [i, b] of blocks.entries()) problems.push(...checkBlock(b as Record<string, unknown>, i));
    }
    return problems;
  }

  private fail(
    method: string,
    problems: string[],
    reply: (b: Record<string, unknown>) => void,
    error = "invalid_arguments",
  ) {
    for (const p of problems) this.violations.push(`${method}: ${p}`);
    reply({ ok: false, error, response_metadata: { messages: problems } });
  }
}

function checkBlock(b: Record<string, unknown>, i: number): string[] {
  const at = `block ${i} (${String(b.type)})`;
  if (!BLOCK_TYPES.has(String(b.type))) return [`${at}: unknown block type`];
  const problems: string[] = [];
  const text = b.text as { type?: string; text?: string } | undefined;
  if (b.type === "header") {
    if (text?.type !== "plain_text") problems.push(`${at}: header text must be plain_text`);
    if ((text?.text ?? "").length > 150) problems.push(`${at}: header text over 150 chars`);
  }
  if (b.type === "section") {
    const fields = b.fields as unknown[] | undefined;
    if (!text && !fields) problems.push(`${at}: section needs text or fields`);
    if (text && (text.text ?? "").length > 3000) problems.push(`${at}: section text over 3000 chars`);
    if (text && (text.text ?? "").length === 0) problems.push(`${at}: section text is empty`);
    if (fields && fields.length > 10) problems.push(`${at}: more than 10 fields`);
  }
  if (b.type === "context") {
    const els = b.elements as unknown[] | undefined;
    if (!Array.isArray(els) || els.length === 0 || els.length > 10) problems.push(`${at}: context needs 1–10 elements`);
  }
  if (b.type === "actions") problems.push(...checkActions(b, at));
  return problems;
}

/**
 * An actions block: 1–25 elements; a button's action_id (≤ 255, unique in the block), text
 * (plain_text, ≤ 75), value (≤ 2000), style (primary|danger).
 * https://api.slack.com/reference/block-kit/blocks#actions, …/block-elements#button
 */
function checkActions(b: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  const els = b.elements as Record<string, unknown>[] | undefined;
  if (!Array.isArray(els) || els.length === 0 || els.length > 25) return [`${at}: actions needs 1–25 elements`];
  if (typeof b.block_id === "string" && b.block_id.length > 255) problems.push(`${at}: block_id over 255 chars`);
  const ids = new Set<string>();
  for (const el of els) {
    if (el.type !== "button") continue;
    const id = String(el.action_id ?? "");
    if (!id || id.length > 255) problems.push(`${at}: action_id missing or over 255 chars`);
    if (ids.has(id)) problems.push(`${at}: action_id ${id} not unique in the block`);
    ids.add(id);
    const text = el.text as { type?: string; text?: string } | undefined;
    if (text?.type !== "plain_text" || !text.text || text.text.length > 75)
      problems.push(`${at}: button text must be plain_text of 1–75 chars`);
    if (typeof el.value === "string" && el.value.length > 2000) problems.push(`${at}: button value over 2000 chars`);
    if (el.style !== undefined && el.style !== "primary" && el.style !== "danger")
      problems.push(`${at}: button style must be primary or danger`);
  }
  return problems;
}

const key = (channel: string, ts: string) => `${channel}/${ts}`;
