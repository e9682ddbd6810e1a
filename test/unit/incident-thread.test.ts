import { describe, expect, it } from "vitest";
import { openIncidentThread, renderIncidentHeader } from "../../src/core/incidents/thread.ts";
import { InProcessTurns } from "../../src/core/jobs/turns.ts";
import type { ChatMessage, ChatPort } from "../../src/core/ports/chat.ts";
import type { Store } from "../../src/core/ports/store.ts";
import { InMemoryStore } from "../support/memory-store.ts";

const T0 = 1_790_000_000_000;

/** A chat that answers each post after a turn of the event loop, as a real one does. */
function slowChat(): ChatPort & { posts: ChatMessage[] } {
  const posts: ChatMessage[] = [];
  return {
    posts,
    async postMessage(message) {
      const n = posts.push(message);
      await new Promise((r) => setTimeout(r, 5));
      return { ts: `1790000000.${String(n).padStart(6, "0")}` };
    },
    async updateMessage() {},
  };
}

function deps(store: Store, chat: ChatPort) {
  let n = 0;
  return {
    store,
    chat,
    clock: { now: () => T0 },
    ids: { id: (p: string) => `${p}_${++n}` },
    jobs: new InProcessTurns(),
  };
}

describe("openIncidentThread", () => {
  it("two concurrent opens of the same (channel, host) post one header and get one thread", async () => {
    const chat = slowChat();
    const d = deps(new InMemoryStore(), chat);
    const [a, b] = await Promise.all([
      openIncidentThread(d, "C0INCIDENT", "node-3", () => renderIncidentHeader("node-3", "U0ALICE", 0)),
      openIncidentThread(d, "C0INCIDENT", "node-3", () => renderIncidentHeader("node-3", "U0BOB", 0)),
    ]);
    expect(chat.posts).toHaveLength(1);
    expect(chat.posts[0]?.channel).toBe("C0INCIDENT");
    expect(a).toEqual(b);
    expect(await d.store.findIncident("C0INCIDENT", "node-3")).toEqual(a);
  });

  it("reuses the stored thread later, and opens one per channel and host", async () => {
    const chat = slowChat();
    const d = deps(new InMemoryStore(), chat);
    const first = await openIncidentThread(d, "C0INCIDENT", "node-3", () =>
      renderIncidentHeader("node-3", "U0ALICE", 0),
    );
    expect(
      await openIncidentThread(d, "C0INCIDENT", "node-3", () => renderIncidentHeader("node-3", "U0BOB", 0)),
    ).toEqual(first);
    const [other, elsewhere] = await Promise.all([
      openIncidentThread(d, "C0INCIDENT", "node-4", () => renderIncidentHeader("node-4", "U0ALICE", 0)),
      openIncidentThread(d, "C0OTHER", "node-3", () => renderIncidentHeader("node-3", "U0ALICE", 0)),
    ]);
    expect(chat.posts).toHaveLength(3);
    expect(new Set([first.threadTs, other.threadTs, elsewhere.threadTs]).size).toBe(3);
  });

  it("across processes (two store handles on one table) both may post, and both get the first stored thread", async () => {
    const shared = new InMemoryStore();
    // Each handle a distinct object over the same rows, like two isolates' stubs of one database.
    const handle = (): Store =>
      new Proxy(shared, {
        get: (target, prop) => {
          const v = Reflect.get(target, prop, target);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    const chat = slowChat();
    const [a, b] = await Promise.all([
      openIncidentThread(deps(handle(), chat), "C0INCIDENT", "node-3", () =>
        renderIncidentHeader("node-3", "U0ALICE", 0),
      ),
      openIncidentThread(deps(handle(), chat), "C0INCIDENT", "node-3", () =>
        renderIncidentHeader("node-3", "U0BOB", 0),
      ),
    ]);
    expect(chat.posts).toHaveLength(2);
    expect(a.threadTs).toBe(b.threadTs);
    expect(await shared.findIncident("C0INCIDENT", "node-3")).toEqual(a);
  });

  it("a failed post is not remembered: the next open tries again", async () => {
    const store = new InMemoryStore();
    let fail = true;
    const chat: ChatPort = {
      async postMessage() {
        if (fail) throw new Error("channel_not_found");
        return { ts: "1790000000.000100" };
      },
      async updateMessage() {},
    };
    const d = deps(store, chat);
    await expect(
      openIncidentThread(d, "C0INCIDENT", "node-3", () => renderIncidentHeader("node-3", "U0ALICE", 0)),
    ).rejects.toThrow("channel_not_found");
    fail = false;
    expect(
      (await openIncidentThread(d, "C0INCIDENT", "node-3", () => renderIncidentHeader("node-3", "U0ALICE", 0)))
        .threadTs,
    ).toBe("1790000000.000100");
  });
});
