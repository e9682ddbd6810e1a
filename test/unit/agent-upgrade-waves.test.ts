import { describe, expect, it } from "vitest";
import type { StepResult } from "../../src/contract/catalog.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { type HostUpgrade, lineFor, upgradeInWaves } from "../../src/core/fleet/upgrade.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { quietLogger } from "../support/harness.ts";

/**
 * `/openclaw upgrade-agent` on the control plane's side: the command's grammar, and the waves
 * (issue 31, item 7). The end-to-end run with a real agent under the install script's loop is
 * test/unit/agent-upgrade.test.ts; here a scripted transport gives each host's answer, so the
 * order of waves and where they stop can be checked host by host.
 */
const release = { version: "0.2.0", sha256: "a".repeat(64) };

/** A host whose agent accepts the upgrade and afterwards reports it passed. */
const upgrades = (): StepResult[] => [
  { step: "agent.upgrade", status: "ok", durationMs: 5, data: { accepted: true, from: "0.1.0", to: "0.2.0" } },
  {
    step: "versions",
    status: "ok",
    durationMs: 5,
    data: {
      agent: "0.2.0",
      openclaw: null,
      os: "Linux",
      node: "v24.16.0",
      upgrade: { phase: "passed", from: "0.1.0", to: "0.2.0", at: 1 },
    },
  },
];

const deps = (transport: FakeHostTransport) => {
  let n = 0;
  return {
    transport,
    ids: { id: (p: string) => `${p}_${++n}` },
    clock: { now: () => Date.now() },
    logger: quietLogger,
  };
};

describe("upgrade-agent", () => {
  it("parses a selector and a wave share, and refuses a share out of range", () => {
    expect(parseCommand("upgrade-agent node-3")).toEqual({
      kind: "upgrade-agent",
      selector: { kind: "pattern", glob: "node-3" },
      wavePercent: 100,
    });
    expect(parseCommand("upgrade-agent tag:prod --wave 10%")).toEqual({
      kind: "upgrade-agent",
      selector: { kind: "tag", tag: "prod" },
      wavePercent: 10,
    });
    expect(parseCommand("upgrade-agent all --wave=25")).toMatchObject({ selector: { kind: "all" }, wavePercent: 25 });
    expect(() => parseCommand("upgrade-agent all --wave 0%")).toThrow(/not a share from 1% to 100%/);
    expect(() => parseCommand("upgrade-agent")).toThrow(/Usage: `\/openclaw upgrade-agent/);
  });

  it("goes a wave at a time and stops after the first wave with a failure; later hosts are not tried", async () => {
    const t = new FakeHostTransport();
    t.addHost("n1", { results: upgrades() });
    t.addHost("n2", {
      results: [
        {
          step: "agent.upgrade",
          status: "ok",
          durationMs: 5,
          data: {
            accepted: false,
            from: "0.1.0",
            to: "0.2.0",
            reason: "nothing restarts this agent when it exits",
          },
        },
      ],
    });
    t.addHost("n3", { results: upgrades() });
    t.addHost("n4", { online: false });
    const seen: HostUpgrade[] = [];
    const all = await upgradeInWaves(deps(t), ["n1", "n2", "n3", "n4"], release, 2, async (o) => {
      seen.push(o);
    });
    expect(all.map((o) => [o.host, o.result])).toEqual([
      ["n1", "upgraded"],
      ["n2", "failed"],
      ["n3", "not-tried"],
      ["n4", "not-tried"],
    ]);
    // Nothing was sent to the hosts of the wave after the failure.
    expect(t.dispatched.filter((d) => d.host === "n3" || d.host === "n4")).toEqual([]);
    // The job carries the version and the SHA-256 the host must check.
    expect(t.dispatched[0]?.job.steps[0]).toEqual({ step: "agent.upgrade", args: release });
    expect(seen.map(lineFor)).toContain(
      "❌ *n2*: not upgraded: refused on the host: nothing restarts this agent when it exits",
    );
    expect(lineFor(all[0] as HostUpgrade)).toBe("✅ *n1*: 0.1.0 → 0.2.0, came online and passed its probe.");
  }, 20_000);
});
