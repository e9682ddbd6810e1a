import { ClawopsError } from "../../core/errors.ts";
import type { ChatFileUpload } from "../../core/ports.ts";

/**
 * Slack's external upload flow (files.upload is retired):
 *  1. `files.getUploadURLExternal` (form-encoded `filename`, `length`) → `upload_url`, `file_id`
 *     https://api.slack.com/methods/files.getUploadURLExternal
 *  2. POST the raw bytes to `upload_url`
 *  3. `files.completeUploadExternal` (`files=[{id,title}]`, `channel_id`, `thread_ts`,
 *     `initial_comment`) shares it into the thread
 *     https://api.slack.com/methods/files.completeUploadExternal
 */
export async function slackUploadExternal(
  opts: { token: string; apiUrl: string; fetch?: typeof fetch },
  file: ChatFileUpload,
): Promise<{ fileId: string }> {
  const doFetch = opts.fetch ?? fetch;
  const api = opts.apiUrl.replace(/\/+$/, "");
  const form = async (method: string, fields: Record<string, string>) => {
    let res: Response;
    try {
      res = await doFetch(`${api}/${method}`, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded; charset=utf-8",
          authorization: `Bearer ${opts.token}`,
        },
        body: new URLSearchParams(fields).toString(),
      });
    } catch (err) {
      throw new ClawopsError("slack_api", `Could not reach the Slack Web API for ${method}: ${String(err)}`);
    }
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (!res.ok || !body || body.ok !== true) {
      const error = body && typeof body.error === "string" ? body.error : `HTTP ${res.status}`;
      throw new ClawopsError("slack_api", `Slack ${method} failed: ${error}`);
    }
    return body;
  };

  const ticket = await form("files.getUploadURLExternal", {
    filename: file.filename,
    length: String(file.bytes.byteLength),
  });
  const uploadUrl = ticket.upload_url;
  const fileId = ticket.file_id;
  if (typeof uploadUrl !== "string" || typeof fileId !== "string") {
    throw new ClawopsError("slack_api", "files.getUploadURLExternal answered without upload_url or file_id");
  }
  const put = await doFetch(uploadUrl, {
    method: "POST",
    headers: { "content-type": "application/octet-stream" },
    body: file.bytes as Uint8Array<ArrayBuffer>,
  }).catch((err: unknown) => {
    throw new ClawopsError("slack_api", `Uploading the file bytes to Slack failed: ${String(err)}`);
  });
  if (!put.ok) throw new ClawopsError("slack_api", `Uploading the file bytes to Slack failed: HTTP ${put.status}`);
  await form("files.completeUploadExternal", {
    files: JSON.stringify([{ id: fileId, title: file.title }]),
    channel_id: file.channel,
    thread_ts: file.threadTs,
    initial_comment: file.initialComment,
  });
  return { fileId };
}
