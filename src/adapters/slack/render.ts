import { lowerPart } from "../../core/messages/lower.ts";
import type { BasicPart, Button, Message } from "../../core/messages/model.ts";

/**
 * Neutral message → Slack Block Kit (https://api.slack.com/reference/block-kit/blocks). The
 * output is checked byte for byte against test/unit/golden/*.golden.json: key order included,
 * since those are the bytes Slack receives. Text arrives clipped to Slack's limits already
 * (src/core/messages/build.ts).
 */
export type SlackBlock = Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export function toBlockKit(m: Message): SlackMessage {
  return { text: m.text, blocks: m.parts.flatMap(lowerPart).map(toBlock) };
}

const plain = (text: string) => ({ type: "plain_text", text });
const mrkdwn = (text: string) => ({ type: "mrkdwn", text });

function toBlock(p: BasicPart): SlackBlock {
  switch (p.kind) {
    case "header":
      return { type: "header", text: { ...plain(p.text), emoji: true } };
    case "section":
      return { type: "section", text: mrkdwn(p.text) };
    case "context":
      return { type: "context", elements: p.items.map(mrkdwn) };
    case "divider":
      return { type: "divider" };
    case "actions":
      return { type: "actions", block_id: p.id, elements: p.buttons.map(toButton) };
  }
}

function toButton(b: Button): SlackBlock {
  return {
    type: "button",
    action_id: b.actionId,
    text: plain(b.label),
    ...(b.style ? { style: b.style } : {}),
    value: b.value,
    ...(b.confirm
      ? {
          confirm: {
            title: plain(b.confirm.title),
            text: mrkdwn(b.confirm.text),
            confirm: plain(b.confirm.confirm),
            deny: plain(b.confirm.deny),
          },
        }
      : {}),
  };
}
