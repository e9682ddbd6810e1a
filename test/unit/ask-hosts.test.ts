import { afterEach, describe, expect, it, vi } from "vitest";
import { askHosts } from "../../src/core/jobs/ask-hosts.ts";
import { healthyResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { testDeps } from "../support/harness.ts";

/**
 * A fleet-wide read (the expiry calendar, an upgrade's pre-flight): one job to every host at once
 * under one deadline, each host that gives no results listed with why. The deadline runs on
 * vitest's fake timers, so a loaded box cannot make the host that answers at once look late.
 */
afterEach(() => {
  vi.useRealTimers();
});

describe("askHosts", () => {
  it("answers at the deadline: the quick host's results, the silent one unanswered, and why for offline and refusing hosts", async () => {
    vi.useFakeTimers();
    const tls = healthyResults().filter((r) => r.step === "gateway.tls");
    expect(tls).toHaveLength(1);
    const transport = new FakeHostTransport()
      .addHost("quick-1", { results: tls })
      // Its answer would come a minute after the job started.
      .addHost("silent-1", { results: tls.map((result) => ({ result, delayMs: 60_000 })) })
      .addHost("gone-1", { online: false })
      .addHost("strict-1", { rejectWith: { code: "policy", message: "gateway.tls is not allowed here" } });
    const deps = testDeps({ transport });
    const hosts = ["quick-1", "silent-1", "gone-1", "strict-1"].map((name) => ({ name }));

    let settled = false;
    const asked = askHosts(deps, hosts, {
      jobPrefix: "expiries",
      steps: [{ step: "gateway.tls", args: { timeoutMs: 2_000 } }],
      deadlineMs: 6_000,
    }).finally(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(5_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await asked).toEqual([
      { host: "quick-1", results: tls },
      { host: "silent-1", unanswered: "no answer within 6 s" },
      { host: "gone-1", unanswered: "agent not connected" },
      { host: "strict-1", unanswered: "agent refused: gateway.tls is not allowed here" },
    ]);
    expect(transport.dispatched.map((d) => [d.host, d.job.progress, d.job.deadlineMs])).toEqual([
      ["quick-1", false, 6_000],
      ["silent-1", false, 6_000],
      ["gone-1", false, 6_000],
      ["strict-1", false, 6_000],
    ]);
  });
});
