import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { builtinKnownIssues } from "../../src/core/known-issues/builtin.ts";
import type { HostRecord } from "../../src/core/ports/store.ts";
import { nodeSatisfies } from "../../src/core/upgrade/node-range.ts";
import { buildUpgradePlan, MIN_FREE_BYTES } from "../../src/core/upgrade/plan.ts";
import { knownReleases, resolveTarget } from "../../src/core/upgrade/releases.ts";
import { CLI } from "../support/cli-process.ts";
import { type ConsoleServer, startConsoleServer } from "../support/console-server.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { memoryRecovery } from "../support/memory-recovery-store.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { RecordingChat, testDeps } from "../support/test-deps.ts";

/**
 * `/openclaw upgrade <hosts> to <version> --dry-run` (issue 42, item 1, its first part): the
 * target checked against the releases clawops knows, one read-only pre-flight job per host
 * (`versions`, `state.files` as the agent answers them), freezes, the known issues it fixes, the
 * waves. Nothing is changed.
 */
const NOW = Date.UTC(2026, 10, 26, 12);

function preflight(o: { openclaw?: string; node?: string; freeBytes?: number; plugins?: [string, string][] }) {
  const d = healthyData();
  d.versions = { ...d.versions, openclaw: o.openclaw ?? "2026.9.5", node: o.node ?? "v24.21.0" };
  d.files = {
    ...d.files,
    volumes: d.files.volumes.map((v) => ({ ...v, freeBytes: o.freeBytes ?? v.freeBytes })),
    plugins: { packages: (o.plugins ?? []).map(([name, version]) => ({ name, version })) },
  };
  return toResults(d).filter((r) => r.step === "versions" || r.step === "state.files");
}

const host = (name: string, gatewayVersion: string, tags: string[] = []): HostRecord => ({
  name,
  publicKey: `k-${name}`,
  enrolledAt: NOW - 86_400_000,
  revokedAt: null,
  agentVersion: "0.1.0",
  gatewayVersion,
  lastSeenAt: NOW,
  tags,
});

async function fleet() {
  const store = new InMemoryStore();
  const recovery = memoryRecovery();
  for (const h of [
    host("node-1", "2026.9.5"),
    host("node-2", "2026.9.5", ["canary"]),
    host("node-3", "2026.9.5"),
    host("node-4", "2026.9.5"),
    host("node-5", "2026.9.6"),
    host("node-6", "2026.9.5"),
    host("node-7", "2026.9.5"),
    host("node-8", "2026.9.5"),
    host("node-9", "2026.9.5"),
  ])
    await store.insertHost(h);
  await recovery.store.putFreeze({
    target: "node-3",
    owner: "U0OTHER",
    reason: "investigating slow replies",
    source: "slack",
    createdAt: NOW - 60_000,
    expiresAt: NOW + 3_600_000,
    channel: "C1",
    notices: [],
  });
  const transport = new FakeHostTransport()
    .addHost("node-1", { results: preflight({ plugins: [["@openclaw/matrix", "2026.9.5"]] }) })
    .addHost("node-2", { results: preflight({}) })
    .addHost("node-3", { results: preflight({}) })
    .addHost("node-4", { results: preflight({ node: "v20.20.2" }) })
    .addHost("node-5", { results: preflight({ openclaw: "2026.9.6" }) })
    .addHost("node-6", { online: false })
    .addHost("node-7", { results: preflight({ freeBytes: 1024 ** 3 }) })
    .addHost("node-8", { results: preflight({}) })
    .addHost("node-9", { results: preflight({}) });
  const chat = new RecordingChat();
  return { deps: testDeps({ store, transport, chat, recovery, clock: { now: () => NOW } }), chat };
}

async function ask(deps: Awaited<ReturnType<typeof fleet>>["deps"], text: string) {
  return handleCommand(deps, { text, user: "U0ME", channel: "C1", requestKey: `r-${text}`, source: "console" });
}

describe("/openclaw upgrade … --dry-run", () => {
  it("parses the selector, the target and --dry-run; anything else gets its usage", () => {
    expect(parseCommand("upgrade tag:canary to 2026.9.6 --dry-run")).toEqual({
      kind: "upgrade",
      selector: { kind: "tag", tag: "canary" },
      selectorText: "tag:canary",
      version: "2026.9.6",
      dryRun: true,
    });
    expect(parseCommand("upgrade all to 2026.9.6")).toMatchObject({ selector: { kind: "all" }, dryRun: false });
    expect(parseCommand("upgrade all to 2026.9.6 --wave 50% --dry-run")).toMatchObject({
      version: "2026.9.6",
      dryRun: true,
      wavePercent: 50,
    });
    expect(parseCommand("upgrade all to 2026.9.6 --wave=100")).toMatchObject({ wavePercent: 100, dryRun: false });
    expect(() => parseCommand("upgrade all to 2026.9.6 --wave 0%")).toThrow(
      /`--wave 0%` is not a share from 1% to 100%/,
    );
    expect(() => parseCommand("upgrade all to 2026.9.6 --wave half")).toThrow(/`--wave half` is not a share/);
    expect(() => parseCommand("upgrade all to 2026.9.6 --wave")).toThrow(/`--wave ` is not a share/);
    expect(() => parseCommand("upgrade all 2026.9.6 --dry-run")).toThrow(/Usage: `\/openclaw upgrade/);
    expect(() => parseCommand("upgrade to 2026.9.6")).toThrow(/Usage: `\/openclaw upgrade/);
  });

  it("a version that is not a release clawops knows, or not a version at all, is refused before anything is probed", async () => {
    const { deps, chat } = await fleet();
    const codeOf = async (text: string) => {
      const reply = await ask(deps, text);
      return reply.error ? `${reply.error.code}: ${messageToText(reply.ack).replace(/^⚠️ /, "")}` : null;
    };
    expect(await codeOf("upgrade all to 2026.9.7 --dry-run")).toMatch(
      /^unknown_release: OpenClaw 2026\.9\.7 is not a release clawops knows \(it knows 2026\.9\.5, 2026\.9\.6: .*clawops reads no registry/,
    );
    expect(await codeOf("upgrade all to latest --dry-run")).toMatch(/^bad_request: latest is not an OpenClaw version/);
    // Without --dry-run, the run (test/unit/upgrade-run.test.ts): an action the authorization file must allow.
    expect(await codeOf("upgrade all to 2026.9.6")).toMatch(/^forbidden: Nobody is allowed to upgrade from Slack yet/);
    expect(await codeOf("upgrade web-* to 2026.9.6 --dry-run")).toMatch(/^unknown_host: No enrolled host matches/);
    expect(chat.posted).toEqual([]);
  });

  it("per host the pre-flight, blocked hosts said with why, then the waves: the canary, 25% of the rest, the rest", async () => {
    const { deps, chat } = await fleet();
    const reply = await ask(deps, "upgrade all to 2026.9.6 --dry-run");
    expect(messageToText(reply.ack)).toContain("Planning OpenClaw 2026.9.6 on 9 hosts (dry run");
    await reply.later?.();
    const text = messageToText(chat.posted[0] as never);
    expect(chat.posted[0]?.text).toBe(
      "Upgrade plan: OpenClaw 2026.9.6 on 9 hosts (dry run): 4 ready in 3 waves, 4 blocked, 1 already on it",
    );
    const lineOf = (h: string) => text.split("\n").find((l) => l.includes(` ${h} `)) ?? "";
    expect(lineOf("node-1")).toMatch(/^✅ node-1 2026\.9\.5 → target · 60\.0 GiB free at \/home\/op\/\.openclaw/);
    expect(lineOf("node-1")).toContain("Node v24.21.0 (the agent's) meets 2026.9.6's >=24.16.0 <25 || >=26.1.0");
    expect(lineOf("node-1")).toContain("in lockstep with the core: @openclaw/matrix 2026.9.5 → 2026.9.6");
    expect(lineOf("node-3")).toMatch(
      /^⛔ node-3 .*⛔ this host is frozen by U0OTHER until 2026-11-26 13:00 UTC \(investigating slow replies\)/,
    );
    expect(lineOf("node-4")).toContain(
      "⛔ Node v20.20.2 (the agent's) does not meet 2026.9.6's >=24.16.0 <25 || >=26.1.0",
    );
    expect(lineOf("node-5")).toMatch(/^▫️ node-5 already on 2026\.9\.6/);
    expect(lineOf("node-6")).toContain("⛔ no pre-flight: agent not connected");
    expect(lineOf("node-7")).toContain("⛔ 1.0 GiB free at /home/op/.openclaw (needs 2.0 GiB");
    expect(text).toContain("Wave 1 (canary): node-2");
    expect(text).toContain("Wave 2 (25% of the rest): node-1");
    expect(text).toContain("Wave 3 (the rest): node-8, node-9");
    expect(text).toContain("Dry run: nothing was changed.");
    // Blocked first, then ready, then those already on it.
    expect(text.indexOf(" node-3 ")).toBeLessThan(text.indexOf(" node-1 "));
    expect(text.indexOf(" node-1 ")).toBeLessThan(text.indexOf(" node-5 "));
  });

  it("--wave N% sets the second wave's share of the hosts after the canary, in the plan and its message", async () => {
    const { deps, chat } = await fleet();
    const reply = await ask(deps, "upgrade all to 2026.9.6 --wave 50% --dry-run");
    await reply.later?.();
    const text = messageToText(chat.posted[0] as never);
    // Ready: node-1, node-2 (the canary: tagged), node-8, node-9; 50% of the three left is two.
    expect(text).toContain("Wave 1 (canary): node-2");
    expect(text).toContain("Wave 2 (50% of the rest): node-1, node-8");
    expect(text).toContain("Wave 3 (the rest): node-9");
    const catalog = builtinKnownIssues();
    const hosts = ["node-1", "node-2", "node-3", "node-4", "node-5"].map((n) => host(n, "2026.9.5"));
    const plan = (wavePercent?: number) =>
      buildUpgradePlan({
        target: resolveTarget("2026.9.6", knownReleases(catalog, ["2026.9.5"])),
        hosts,
        answers: hosts.map((h) => ({ host: h.name, results: preflight({}) })),
        facts: [],
        freezes: new Map(),
        actor: "U0ME",
        catalog,
        now: NOW,
        ...(wavePercent !== undefined ? { wavePercent } : {}),
      });
    expect(plan()).toMatchObject({
      wavePercent: 25,
      waves: [["node-1"], ["node-2"], ["node-3", "node-4", "node-5"]],
      waveNames: ["canary", "25% of the rest", "the rest"],
    });
    // 100%: the canary, then every other host; no empty third wave, and its name is not shifted.
    expect(plan(100)).toMatchObject({
      waves: [["node-1"], ["node-2", "node-3", "node-4", "node-5"]],
      waveNames: ["canary", "100% of the rest"],
    });
    expect(plan(1).waves).toEqual([["node-1"], ["node-2"], ["node-3", "node-4", "node-5"]]);
  });

  it("known issues the upgrade fixes, from each host's last triage: upgrading to X fixes N findings on M hosts", () => {
    const catalog = builtinKnownIssues();
    const hosts = [host("node-1", "2026.9.5"), host("node-2", "2026.9.5"), host("node-3", "2026.9.6")];
    const triage = (lines: string[]) => ({
      at: NOW,
      findings: [{ id: "gateway-unresponsive", evidence: lines }],
    });
    const closed = "19:36:55  [health]   refresh failed: Gateway health refresh owner is closed";
    const plan = buildUpgradePlan({
      target: resolveTarget("2026.9.6", knownReleases(catalog, ["2026.9.5"])),
      hosts,
      answers: hosts.map((h) => ({ host: h.name, results: preflight({ openclaw: h.gatewayVersion ?? "" }) })),
      facts: [
        { name: "node-1", gatewayVersion: "2026.9.5", triage: triage([closed]), watch: null },
        { name: "node-2", gatewayVersion: "2026.9.5", triage: triage(["nothing known"]), watch: null },
        { name: "node-3", gatewayVersion: "2026.9.6", triage: triage([closed]), watch: null },
      ],
      freezes: new Map(),
      actor: "U0ME",
      catalog,
      now: NOW,
    });
    expect(plan.hosts.find((h) => h.host === "node-1")?.fixes).toEqual([
      { ref: "openclaw/openclaw#153899", fixedIn: "2026.9.6", findings: ["gateway-unresponsive"] },
    ]);
    // node-3 is on the fix already: nothing to gain there.
    expect(plan.gains).toEqual({ findings: 1, hosts: ["node-1"] });
    expect(plan.waves).toEqual([["node-1"], ["node-2"]]);
  });

  it("Node ranges as OpenClaw's engines write them", () => {
    const range = ">=24.16.0 <25 || >=26.1.0";
    expect(nodeSatisfies("v24.16.0", range)).toBe(true);
    expect(nodeSatisfies("24.21.0", range)).toBe(true);
    expect(nodeSatisfies("v25.2.0", range)).toBe(false);
    expect(nodeSatisfies("v26.0.1", range)).toBe(false);
    expect(nodeSatisfies("v26.1.0", range)).toBe(true);
    expect(nodeSatisfies("v20.20.2", range)).toBe(false);
    expect(nodeSatisfies("node", range)).toBeNull();
    expect(nodeSatisfies("v24.0.0", "^24")).toBeNull();
    expect(MIN_FREE_BYTES).toBe(2 * 1024 ** 3);
  });
});

function clawops(args: string[], server: ConsoleServer): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NO_COLOR: "1",
      CLAWOPS_URL: server.url,
      CLAWOPS_DATA_DIR: server.dataDir,
    };
    for (const name of ["CLAWOPS_PORT", "CLAWOPS_BIND", "CLAWOPS_ADMIN_TOKEN"]) delete env[name];
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout }));
  });
}

describe("clawops upgrade … --dry-run (the CLI against a running control plane)", () => {
  it("prints the plan and exits 1 when a host is blocked; the run only with --run, under the same authorization", async () => {
    const { parseCli } = await import("../../src/node/cli/args.mjs");
    // Neither or both: the plan and the run are each asked for by name.
    for (const argv of [
      ["upgrade", "all", "to", "2026.9.6"],
      ["upgrade", "all", "to", "2026.9.6", "--dry-run", "--run"],
    ])
      expect(() => parseCli(argv, {})).toThrow(
        /usage: clawops upgrade <host\|tag:<tag>\|all> to <version> \[--wave N%\] --dry-run\|--run/,
      );
    expect(parseCli(["upgrade", "tag:canary", "to", "2026.9.6", "--run", "--wave", "50%"], {})).toMatchObject({
      text: "upgrade tag:canary to 2026.9.6 --wave 50%",
    });
    const transport = new FakeHostTransport()
      .addHost("node-1", { results: preflight({}) })
      .addHost("node-4", { results: preflight({ node: "v20.20.2" }) });
    const server = await startConsoleServer(transport, ["node-1", "node-4"]);
    try {
      const out = await clawops(["upgrade", "all", "to", "2026.9.6", "--dry-run"], server);
      expect(out.stdout).toContain("Planning OpenClaw 2026.9.6 on 2 hosts");
      expect(out.stdout).toContain(
        "OpenClaw 2026.9.6 on 2 hosts (dry run): 1 ready in 1 wave, 1 blocked, 0 already on it",
      );
      expect(out.stdout).toContain("Wave 1 (canary): node-1");
      expect(out.code).toBe(1);
      // The run goes through the chat path's checks (start.ts): this control plane has no approval
      // signing key, so no switch could be approved, and nothing starts.
      const started = await clawops(["upgrade", "node-1", "to", "2026.9.6", "--run"], server);
      expect(started.stdout).toContain("The control plane has no approval signing key, so no switch can be approved");
      expect(started.code).toBe(2);
      expect(transport.dispatched.filter((j) => j.host === "node-1").length).toBe(1);
    } finally {
      await server.close();
    }
  }, 60_000);
});
