import { ClawopsError } from "../../core/errors.ts";
import type { ChatFileUpload, ChatMessage, ChatPort, Logger } from "../../core/ports.ts";
import { toBlockKit } from "./render.ts";
import { slackUploadExternal } from "./upload.ts";

/**
 * The two Web API methods the bot posts with; messages go out as Block Kit (render.ts). fetch only, so it runs on Node and Workers.
 * `apiUrl` lets a local stand-in receive the calls (SLACK_API_URL).
 * https://api.slack.com/methods/chat.postMessage, https://api.slack.com/methods/chat.update
 */
export const DEFAULT_SLACK_API_URL = "https://slack.com/api";

export interface SlackWebApiOptions {
  token: string;
  apiUrl?: string;
  logger: Logger;
  fetch?: typeof fetch;
  /** Retries after HTTP 429 (Slack sends Retry-After seconds). */
  maxRetries?: number;
}

export class SlackWebApiChat implements ChatPort {
  private readonly apiUrl: string;
  private readonly opts: SlackWebApiOptions;

  constructor(opts: SlackWebApiOptions) {
    this.opts = opts;
    this.apiUrl = (opts.apiUrl ?? DEFAULT_SLACK_API_URL).replace(/\/+$/, "");
  }

  async postMessage(m: ChatMessage): Promise<{ ts: string }> {
    const body = await this.call("chat.postMessage", {
      channel: m.channel,
      ...toBlockKit(m),
      ...(m.threadTs ? { thread_ts: m.threadTs } : {}),
      unfurl_links: false,
      unfurl_media: false,
    });
    if (typeof body.ts !== "string") throw new ClawopsError("slack_api", "chat.postMessage answered without a ts");
    return { ts: body.ts };
  }

  uploadFile(file: ChatFileUpload): Promise<{ fileId: string }> {
    return slackUploadExternal(
      { token: this.opts.token, apiUrl: this.apiUrl, ...(this.opts.fetch ? { fetch: this.opts.fetch } : {}) },
      file,
    );
  }

  async updateMessage(m: ChatMessage & { ts: string }): Promise<void> {
    await this.call("chat.update", { channel: m.channel, ts: m.ts, ...toBlockKit(m) });
  }

  private async call(method: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> {
    const doFetch = this.opts.fetch ?? fetch;
    const maxRetries = this.opts.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await doFetch(`${this.apiUrl}/${method}`, {
          method: "POST",
          headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${this.opts.token}` },
          body: JSON.stringify(payload),
        });
      } catch (err) {
        throw new ClawopsError("slack_api", `Could not reach the Slack Web API for ${method}: ${String(err)}`, {
          cause: err,
        });
      }
      if (res.status === 429 && attempt < maxRetries) {
        const wait = Math.min(30, Number(res.headers.get("retry-after") ?? "1") || 1);
        this.opts.logger.warn("slack rate limited", { method, retryAfterS: wait });
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
      if (!res.ok || !body || body.ok !== true) {
        const error = body && typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
        throw new ClawopsError("slack_api", `Slack ${method} failed: ${error}`);
      }
      return body;
    }
  }
}
