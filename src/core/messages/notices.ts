import { context, section } from "./build.ts";
import type { Message } from "./model.ts";

/** The two plainest messages: a notice, and a refusal or failure with its stable error code. */

export function renderNotice(text: string): Message {
  return { text: text.replace(/[*`]/g, ""), parts: [section(text)] };
}

export function renderError(message: string, code: string): Message {
  return {
    text: `Error: ${message.replace(/[*`]/g, "")}`,
    parts: [section(`⚠️ ${message}`), context(`error code \`${code}\``)],
  };
}
