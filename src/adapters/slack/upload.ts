import { ClawopsError } from "../../core/errors.ts";
import type { ChatFileUpload } from "../../core/ports/chat.ts";
import type { SlackClient } from "./client.ts";

/**
 * Slack's external upload flow (files.upload is retired), each call through the Slack client
 * (retries, budget):
 *  1. `files.getUploadURLExternal` (form-encoded `filename`, `length`) → `upload_url`, `file_id`
 *     https://api.slack.com/methods/files.getUploadURLExternal
 *  2. POST the raw bytes to `upload_url`
 *  3. `files.completeUploadExternal` (`files=[{id,title}]`, `channel_id`, `thread_ts`,
 *     `initial_comment`) shares it into the thread
 *     https://api.slack.com/methods/files.completeUploadExternal
 */
export async function slackUploadExternal(client: SlackClient, file: ChatFileUpload): Promise<{ fileId: string }> {
  const ticket = await client.api(
    "files.getUploadURLExternal",
    { filename: file.filename, length: String(file.bytes.byteLength) },
    "form",
  );
  const uploadUrl = ticket.upload_url;
  const fileId = ticket.file_id;
  if (typeof uploadUrl !== "string" || typeof fileId !== "string") {
    throw new ClawopsError("slack_api", "files.getUploadURLExternal answered without upload_url or file_id");
  }
  await client.post("upload", uploadUrl, file.bytes as Uint8Array<ArrayBuffer>, "application/octet-stream");
  await client.api(
    "files.completeUploadExternal",
    {
      files: JSON.stringify([{ id: fileId, title: file.title }]),
      channel_id: file.channel,
      thread_ts: file.threadTs,
      initial_comment: file.initialComment,
    },
    "form",
  );
  return { fileId };
}
