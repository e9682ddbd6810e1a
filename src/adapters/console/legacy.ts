import { z } from "zod";
import { type Message, MessageSchema, type Part } from "../../core/messages/model.ts";

/**
 * Console log rows written before the neutral message model held Block Kit in their `blocks`
 * column; newer rows hold the message's JSON in that same column (the schema is unchanged).
 * This reads either, so a console log kept across the upgrade still shows its history.
 */
export function readStoredMessage(text: string, json: string): Message {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { text, parts: [] };
  }
  if (Array.isArray(value)) return { text, parts: value.flatMap(partFromBlock) };
  const parsed = MessageSchema.safeParse(value);
  return parsed.success ? parsed.data : { text, parts: [] };
}

const TextObject = z.object({ type: z.enum(["mrkdwn", "plain_text"]), text: z.string() });
const ButtonElement = z.object({
  type: z.literal("button"),
  action_id: z.string(),
  text: TextObject,
  value: z.string().default(""),
  style: z.enum(["primary", "danger"]).optional(),
  confirm: z.object({ title: TextObject, text: TextObject, confirm: TextObject, deny: TextObject }).optional(),
});
// Non-strict on purpose: blocks carry fields the console has no use for.
const LegacyBlock = z.discriminatedUnion("type", [
  z.object({ type: z.literal("header"), text: TextObject }),
  z.object({ type: z.literal("section"), text: TextObject.optional(), fields: z.array(TextObject).optional() }),
  z.object({ type: z.literal("context"), elements: z.array(z.object({ text: z.string().optional() })) }),
  z.object({ type: z.literal("divider") }),
  z.object({ type: z.literal("actions"), block_id: z.string().default(""), elements: z.array(ButtonElement) }),
]);

function partFromBlock(block: unknown): Part[] {
  const parsed = LegacyBlock.safeParse(block);
  if (!parsed.success) {
    const type = (block as { type?: unknown } | null)?.type;
    return [{ kind: "context", items: [`[${String(type ?? "unknown")} block]`] }];
  }
  const b = parsed.data;
  switch (b.type) {
    case "header":
      return [{ kind: "header", text: b.text.text }];
    case "section":
      return [b.text, ...(b.fields ?? [])].flatMap((t) => (t ? [{ kind: "section" as const, text: t.text }] : []));
    case "context":
      return [{ kind: "context", items: b.elements.map((e) => e.text ?? "") }];
    case "divider":
      return [{ kind: "divider" }];
    case "actions":
      return [
        {
          kind: "actions",
          id: b.block_id,
          buttons: b.elements.map((e) => ({
            actionId: e.action_id,
            label: e.text.text,
            value: e.value,
            ...(e.style ? { style: e.style } : {}),
            ...(e.confirm
              ? {
                  confirm: {
                    title: e.confirm.title.text,
                    text: e.confirm.text.text,
                    confirm: e.confirm.confirm.text,
                    deny: e.confirm.deny.text,
                  },
                }
              : {}),
          })),
        },
      ];
  }
}
