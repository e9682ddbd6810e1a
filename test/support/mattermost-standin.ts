import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in for a Mattermost server's REST API v4 and command response URLs, on loopback: the
 * calls clawops makes, with the documented shapes checked and Mattermost's answers (and failures)
 * given back. https://api.mattermost.com/
 *  - `POST /api/v4/posts`: `Authorization: Bearer <token>`, a channel the bot is in (else 403),
 *    message ≤ 16,383 characters, `root_id` a root post of the same channel (else 400),
 *    `file_ids` uploaded to that channel and not yet attached, `props.attachments[].actions[]`
 *    with alphanumeric ids, type `button`, an http(s) integration URL and an object context.
 *    A `pending_post_id` seen before answers the post it made (Mattermost's 30 s deduplication).
 *  - `PUT /api/v4/posts/{id}/patch`: an existing post; message and props replaced.
 *  - `POST /api/v4/files`: multipart, `channel_id` then `files`; answers `file_infos`.
 *  - `POST /api/v4/actions/dialogs/open`: a trigger_id handed out by `trigger()` and unused, a dialog with title and url.
 *  - `POST /hooks/commands/{id}`: a command's response URL handed out by `responseUrl()`, 5 uses, no token needed.
 *  - `failNext(...)`: the next calls answer 429 (Retry-After / X-RateLimit-Reset), a 5xx (optionally
 *    after acting, as a 500 can), or a reset connection (optionally after acting: a lost answer).
 */
export interface StoredPost {
  id: string;
  channel_id: string;
  root_id: string;
  message: string;
  props: Record<string, unknown>;
  file_ids: string[];
  edits: Record<string, unknown>[];
}

export interface MattermostCall {
  method: string;
  path: string;
  status: number;
  body: Record<string, unknown> | null;
}

export type MattermostFault =
  | { status: 429; retryAfter?: number; reset?: number }
  | { status: 500 | 502 | 503; acted?: boolean }
  | { reset: true; acted?: boolean };

const MAX_MESSAGE = 16_383;

export class MattermostStandIn {
  readonly calls: MattermostCall[] = [];
  readonly posts = new Map<string, StoredPost>();
  readonly files = new Map<string, { channel: string; name: string; size: number; attached: boolean }>();
  readonly hooks = new Map<string, { uses: number; responses: Record<string, unknown>[] }>();
  readonly dialogs: { trigger_id: string; url: string; dialog: Record<string, unknown> }[] = [];
  private readonly triggers = new Map<string, string>();
  private readonly pending = new Map<string, string>();
  private readonly channels: Set<string>;
  private readonly faults: MattermostFault[] = [];
  private server: Server | null = null;
  url = "";

  private readonly token: string;

  constructor(token: string, channels: string[]) {
    this.token = token;
    this.channels = new Set(channels);
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((r) => this.server?.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }

  /** A Mattermost id: 26 characters of [a-z0-9]. */
  static id(): string {
    return Array.from(randomBytes(26), (b) => "abcdefghijklmnopqrstuvwxyz0123456789"[b % 36]).join("");
  }

  /** A command's response URL, as Mattermost puts in the command's form. */
  responseUrl(): string {
    const id = MattermostStandIn.id();
    this.hooks.set(id, { uses: 0, responses: [] });
    return `${this.url}/hooks/commands/${id}`;
  }

  /** A trigger_id for `user`'s press, as Mattermost makes one per press; a dialog opens only with one of these. */
  trigger(user: string): string {
    const t = `${MattermostStandIn.id()}:${user}:${Date.now()}`;
    this.triggers.set(t, user);
    return t;
  }

  failNext(...faults: MattermostFault[]): void {
    this.faults.push(...faults);
  }

  inChannel(channel: string): StoredPost[] {
    return [...this.posts.values()].filter((p) => p.channel_id === channel);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const path = (req.url ?? "").split("?")[0] ?? "";
    const method = req.method ?? "";
    const type = req.headers["content-type"] ?? "";
    let parsed: Record<string, unknown> | null = null;
    let form: FormData | null = null;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.calls.push({ method, path, status, body: parsed });
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(typeof body === "string" ? body : JSON.stringify(body));
    };
    const fail = (status: number, id: string, message: string) =>
      answer(status, { id, message, detailed_error: "", request_id: MattermostStandIn.id(), status_code: status });

    if (type.startsWith("multipart/form-data")) {
      form = await new Request("http://x/", {
        method: "POST",
        headers: { "content-type": type },
        body: raw,
      }).formData();
    } else if (raw.length > 0) {
      try {
        parsed = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
      } catch {
        return fail(400, "api.context.invalid_body_param.app_error", "Invalid or missing body in request body.");
      }
    }

    const fault = this.faults.shift();
    if (fault && "status" in fault && fault.status === 429) {
      const headers: Record<string, string> = { "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0" };
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      headers["x-ratelimit-reset"] = String(fault.reset ?? 1);
      this.calls.push({ method, path, status: 429, body: parsed });
      res.writeHead(429, { "content-type": "text/plain; charset=utf-8", ...headers });
      res.end("limit exceeded\n");
      return;
    }
    if (fault && !fault.acted) {
      if ("reset" in fault) {
        this.calls.push({ method, path, status: 0, body: parsed });
        req.socket.destroy();
        return;
      }
      return fail(fault.status, "app.internal", "Internal Server Error");
    }

    // Acting, then (for an `acted` fault) losing the answer or answering 500.
    const result = this.act(method, path, req.headers.authorization, parsed, form);
    if (fault?.acted) {
      if ("reset" in fault) {
        this.calls.push({ method, path, status: 0, body: parsed });
        req.socket.destroy();
        return;
      }
      return fail(fault.status, "app.internal", "Internal Server Error");
    }
    if ("error" in result) return fail(result.status, result.error, result.message);
    return answer(result.status, result.body);
  }

  private act(
    method: string,
    path: string,
    auth: string | undefined,
    body: Record<string, unknown> | null,
    form: FormData | null,
  ): { status: number; body: unknown } | { status: number; error: string; message: string } {
    const hook = /^\/hooks\/commands\/([a-z0-9]{26})$/.exec(path);
    if (hook && method === "POST") {
      const h = this.hooks.get(hook[1] ?? "");
      if (!h) return { status: 404, error: "web.command_webhook.invalid.app_error", message: "Invalid webhook." };
      if (h.uses >= 5)
        return { status: 400, error: "web.command_webhook.max_uses.app_error", message: "Used too often." };
      if (!body || (typeof body.text !== "string" && !body.props))
        return { status: 400, error: "web.command_webhook.parse.app_error", message: "Unable to parse." };
      h.uses += 1;
      h.responses.push(body);
      return { status: 200, body: "" };
    }
    if (auth !== `Bearer ${this.token}`)
      return {
        status: 401,
        error: "api.context.session_expired.app_error",
        message: "Invalid or expired session, please login again.",
      };

    if (path === "/api/v4/posts" && method === "POST") {
      const problem = checkPost(body);
      if (problem) return { status: 400, error: "model.post.is_valid.app_error", message: `Invalid post: ${problem}` };
      const b = body as Record<string, unknown>;
      const channel = String(b.channel_id);
      if (!this.channels.has(channel))
        return {
          status: 403,
          error: "api.context.permissions.app_error",
          message: "You do not have the appropriate permissions.",
        };
      const pending = typeof b.pending_post_id === "string" ? b.pending_post_id : "";
      const seen = pending ? this.pending.get(pending) : undefined;
      if (seen) return { status: 201, body: this.view(seen) };
      const root = typeof b.root_id === "string" ? b.root_id : "";
      if (root) {
        const parent = this.posts.get(root);
        if (!parent || parent.channel_id !== channel || parent.root_id)
          return { status: 400, error: "api.post.create_post.root_id.app_error", message: "Invalid RootId parameter." };
      }
      const fileIds = (b.file_ids ?? []) as string[];
      for (const f of fileIds) {
        const file = this.files.get(f);
        if (!file || file.channel !== channel || file.attached)
          return { status: 400, error: "api.post.create_post.file_ids.app_error", message: "Invalid file_ids." };
      }
      for (const f of fileIds) (this.files.get(f) as { attached: boolean }).attached = true;
      const id = MattermostStandIn.id();
      this.posts.set(id, {
        id,
        channel_id: channel,
        root_id: root,
        message: String(b.message ?? ""),
        props: (b.props ?? {}) as Record<string, unknown>,
        file_ids: fileIds,
        edits: [],
      });
      if (pending) this.pending.set(pending, id);
      return { status: 201, body: this.view(id) };
    }
    const patch = /^\/api\/v4\/posts\/([a-z0-9]{26})\/patch$/.exec(path);
    if (patch && method === "PUT") {
      const post = this.posts.get(patch[1] ?? "");
      if (!post) return { status: 404, error: "app.post.get.app_error", message: "Unable to get the post." };
      const problem = checkPost({ channel_id: post.channel_id, ...body });
      if (problem) return { status: 400, error: "model.post.is_valid.app_error", message: `Invalid post: ${problem}` };
      const b = body as Record<string, unknown>;
      post.edits.push(b);
      if (typeof b.message === "string") post.message = b.message;
      if (b.props) post.props = b.props as Record<string, unknown>;
      return { status: 200, body: this.view(post.id) };
    }
    if (path === "/api/v4/files" && method === "POST") {
      // Mattermost reads channel_id before the files: a form with the files first is refused.
      const entries = form ? [...form.entries()] : [];
      const channelAt = entries.findIndex(([k]) => k === "channel_id");
      const filesAt = entries.findIndex(([k]) => k === "files");
      if (channelAt < 0 || filesAt < 0 || channelAt > filesAt)
        return {
          status: 400,
          error: "api.file.upload_file.incorrect_channelId.app_error",
          message: "channel_id first, then files.",
        };
      const channel = String(entries[channelAt]?.[1]);
      if (!this.channels.has(channel))
        return {
          status: 403,
          error: "api.context.permissions.app_error",
          message: "You do not have the appropriate permissions.",
        };
      const file = entries[filesAt]?.[1];
      if (!(file instanceof File))
        return { status: 400, error: "api.file.upload_file.bad_parse.app_error", message: "No file." };
      const id = MattermostStandIn.id();
      this.files.set(id, { channel, name: file.name, size: file.size, attached: false });
      return {
        status: 201,
        body: { file_infos: [{ id, name: file.name, size: file.size, channel_id: channel }], client_ids: [] },
      };
    }
    if (path === "/api/v4/actions/dialogs/open" && method === "POST") {
      const b = body ?? {};
      const trigger = typeof b.trigger_id === "string" ? b.trigger_id : "";
      const dialog = b.dialog as Record<string, unknown> | undefined;
      if (!this.triggers.has(trigger))
        return {
          status: 400,
          error: "interactive_message.decode_trigger_id.signature_decode_failed",
          message: "Invalid trigger_id.",
        };
      if (typeof b.url !== "string" || !dialog || typeof dialog.title !== "string" || !dialog.title)
        return { status: 400, error: "api.dialog.open.invalid", message: "Invalid dialog." };
      this.triggers.delete(trigger);
      this.dialogs.push({ trigger_id: trigger, url: b.url, dialog });
      return { status: 200, body: { status: "OK" } };
    }
    return { status: 404, error: "api.context.404.app_error", message: "Sorry, we could not find the page." };
  }

  private view(id: string): Record<string, unknown> {
    const p = this.posts.get(id) as StoredPost;
    return {
      id: p.id,
      channel_id: p.channel_id,
      root_id: p.root_id,
      message: p.message,
      props: p.props,
      file_ids: p.file_ids,
    };
  }
}

/** Mattermost's checks on a post body; the first broken one, or null. */
function checkPost(body: Record<string, unknown> | null): string | null {
  if (!body) return "empty body";
  if (typeof body.channel_id !== "string" || !/^[a-z0-9]{26}$/.test(body.channel_id)) return "channel_id";
  if (body.message !== undefined && (typeof body.message !== "string" || body.message.length > MAX_MESSAGE))
    return "message";
  if (body.root_id !== undefined && (typeof body.root_id !== "string" || !/^([a-z0-9]{26})?$/.test(body.root_id)))
    return "root_id";
  if (body.file_ids !== undefined && (!Array.isArray(body.file_ids) || body.file_ids.length > 10)) return "file_ids";
  const attachments = (body.props as { attachments?: unknown } | undefined)?.attachments;
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) return "props.attachments";
    for (const a of attachments as { actions?: unknown }[]) {
      const actions = a.actions ?? [];
      if (!Array.isArray(actions)) return "actions";
      const ids = new Set<string>();
      for (const x of actions as Record<string, unknown>[]) {
        if (typeof x.id !== "string" || !/^[A-Za-z0-9]+$/.test(x.id) || ids.has(x.id)) return "action id";
        ids.add(x.id);
        if (x.type !== "button" || typeof x.name !== "string" || !x.name) return "action";
        const integration = x.integration as { url?: unknown; context?: unknown } | undefined;
        if (typeof integration?.url !== "string" || !/^https?:\/\//.test(integration.url)) return "integration url";
        if (!integration.context || typeof integration.context !== "object") return "integration context";
      }
    }
  }
  if (!body.message && !(body.file_ids as unknown[] | undefined)?.length && !attachments) return "empty post";
  return null;
}
