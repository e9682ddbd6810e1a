import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { collectingLogger, freePort, quietLogger, RecordingChat, testDeps, until } from "../support/harness.ts";
import { ephemeralLow } from "../support/ports.ts";

// The shared test harness (test/support/harness.ts) does what the tests that use it rely on.
describe("test harness", () => {
  it("until returns the probe's first truthy value, and names what it waited for, and what it saw, when it gives up", async () => {
    let n = 0;
    expect(await until("the third try", 1_000, () => (++n >= 3 ? { n } : null), 5)).toEqual({ n: 3 });
    await expect(until("a value that never comes", 60, async () => false, 5)).rejects.toThrow(
      "a value that never comes: not within 60 ms",
    );
    // With `seen`, the error says what the test was looking at when it gave up; a failing read says so.
    await expect(
      until(
        "the summary",
        30,
        () => null,
        5,
        async () => ({ posts: ["failing since"] }),
      ),
    ).rejects.toThrow('the summary: not within 30 ms; seen then: {\n "posts": [\n  "failing since"\n ]\n}');
    await expect(
      until(
        "the summary",
        30,
        () => null,
        5,
        () => {
          throw new Error("object reset");
        },
      ),
    ).rejects.toThrow("the summary: not within 30 ms; seen then: (could not be read: object reset)");
  });

  it("freePort gives a loopback port that can be bound, below the ephemeral range (no outgoing connection can take it)", async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(20_000);
    expect(port).toBeLessThan(ephemeralLow());
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });

  it("collectingLogger keeps every line with its fields; quietLogger keeps none", () => {
    const log = collectingLogger();
    log.info("job started", { job: "job_1" });
    log.warn("slack 429", { retryAfterMs: 1_000 });
    log.error("post failed");
    expect(log.messages("warn")).toEqual(["slack 429"]);
    expect(log.text()).toBe(
      'info job started {"job":"job_1"}\nwarn slack 429 {"retryAfterMs":1000}\nerror post failed',
    );
    expect(() => quietLogger.error("nothing")).not.toThrow();
  });

  it("testDeps fills every CoreDeps field, keeps the overrides, and gives unique ids", async () => {
    const chat = new RecordingChat();
    const deps = testDeps({ chat, clock: { now: () => 42 } });
    expect(deps.chat).toBe(chat);
    expect(deps.clock.now()).toBe(42);
    expect(deps.bundles).toEqual({ on: false, why: "not in this test" });
    expect(await deps.transport.isOnline("node-1")).toBe(false);
    const ids = new Set(Array.from({ length: 50 }, () => deps.ids.id("job")));
    expect(ids.size).toBe(50);
    expect([...ids][0]).toMatch(/^job_0001[a-z0-9]+$/);
    expect(await chat.postMessage({ channel: "C1", text: "hi", blocks: [] } as never)).toEqual({ ts: "1.0001" });
    expect(chat.posted).toHaveLength(1);
  });
});
