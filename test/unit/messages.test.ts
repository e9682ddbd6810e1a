import { describe, expect, it } from "vitest";
import { readStoredMessage } from "../../src/adapters/console/legacy.ts";
import { toBlockKit } from "../../src/adapters/slack/render.ts";
import { LiveMessage } from "../../src/core/chat/live-message.ts";
import { MessageSchema } from "../../src/core/messages/model.ts";
import type { ChatMessage, ChatPort } from "../../src/core/ports/chat.ts";
import { MESSAGE_KINDS } from "../support/message-kinds.ts";

describe("console log rows", () => {
  it.each(MESSAGE_KINDS.map(([name, make]) => [name, make] as const))(
    "%s: reads a new row, and an old Block Kit row as the same message",
    (_, make) => {
      const m = make();
      expect(MessageSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
      expect(readStoredMessage(m.text, JSON.stringify(m))).toEqual(m);
      // A row written before the neutral model held the blocks: it still shows as it did.
      const legacy = readStoredMessage(m.text, JSON.stringify(toBlockKit(m).blocks));
      expect(toBlockKit(legacy)).toEqual(toBlockKit(m));
    },
  );

  it("keeps an unknown old block visible and survives a broken row", () => {
    expect(readStoredMessage("t", JSON.stringify([{ type: "image", image_url: "x" }])).parts).toEqual([
      { kind: "context", items: ["[image block]"] },
    ]);
    expect(readStoredMessage("t", "{not json")).toEqual({ text: "t", parts: [] });
  });
});

describe("LiveMessage", () => {
  function recordingChat(failUpdates = 0) {
    const calls: string[] = [];
    let n = 0;
    const chat: ChatPort = {
      async postMessage(m: ChatMessage) {
        await new Promise((r) => setTimeout(r, 5));
        calls.push(`post ${m.text}`);
        return { ts: `ts${++n}` };
      },
      async updateMessage(m: ChatMessage & { ts: string }) {
        if (failUpdates-- > 0) throw new Error("rate limited");
        calls.push(`update ${m.ts} ${m.text}`);
      },
    };
    return { chat, calls };
  }
  const msg = (text: string) => ({ text, parts: [] });

  it("posts once, then edits in call order, one at a time", async () => {
    const { chat, calls } = recordingChat();
    const recorded: string[] = [];
    const live = new LiveMessage(chat, { channel: "C1", threadTs: "1.0" }, async (ts) => {
      recorded.push(ts);
    });
    await Promise.all([live.show(msg("a")), live.show(msg("b")), live.show(async () => msg("c"))]);
    expect(calls).toEqual(["post a", "update ts1 b", "update ts1 c"]);
    expect(recorded).toEqual(["ts1"]);
    expect(live.ts).toBe("ts1");
  });

  it("edits a message already posted, and a failed edit does not block the next", async () => {
    const { chat, calls } = recordingChat(1);
    const live = new LiveMessage(chat, { channel: "C1", ts: "9.9" });
    const first = live.show(msg("a"));
    const second = live.show(msg("b"));
    await expect(first).rejects.toThrow("rate limited");
    await second;
    expect(calls).toEqual(["update 9.9 b"]);
  });
});
