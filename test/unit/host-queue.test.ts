import { describe, expect, it } from "vitest";
import { HostJobQueue } from "../../src/core/jobs/host-queue.ts";

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("HostJobQueue", () => {
  it("runs one job at a time per host, in order, and hosts in parallel", async () => {
    const q = new HostJobQueue();
    const log: string[] = [];
    const job = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await tick(ms);
      log.push(`end ${name}`);
    };
    const all = [q.run("a", job("a1", 30)), q.run("a", job("a2", 5)), q.run("b", job("b1", 5))];
    expect(q.depth("a")).toBe(2);
    await Promise.all(all);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(q.depth("a")).toBe(0);
  });

  it("keeps going after a failed job and still reports the failure to its caller", async () => {
    const q = new HostJobQueue();
    const failed = q.run("a", async () => {
      throw new Error("boom");
    });
    let ran = false;
    const next = q.run("a", async () => {
      ran = true;
    });
    await expect(failed).rejects.toThrow("boom");
    await next;
    expect(ran).toBe(true);
  });
});
