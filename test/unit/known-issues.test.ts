import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageToText } from "../../src/adapters/console/text.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { parseCommand } from "../../src/core/commands/parse.ts";
import { builtinKnownIssues } from "../../src/core/known-issues/builtin.ts";
import shipped from "../../src/core/known-issues/catalog.json" with { type: "json" };
import { knownIssuesFor } from "../../src/core/known-issues/match.ts";
import { KnownIssueCatalogError, mergeCatalogs, parseCatalog } from "../../src/core/known-issues/schema.ts";
import { compareCalVer, parseCalVer, parseRange, satisfies } from "../../src/core/known-issues/versions.ts";
import type { HostRecord, JobRecord } from "../../src/core/ports/store.ts";
import { loadNodeConfig } from "../../src/node/config/load.ts";
import { CLI } from "../support/cli-process.ts";
import { healthyData, triageResults } from "../support/evidence.ts";
import { openclawCacheDir } from "../support/gateway/install.ts";
import { InMemoryStore } from "../support/memory-store.ts";
import { testDeps } from "../support/test-deps.ts";

/**
 * Issue 42, item 2: the known-issue catalog shipped with clawops, what a finding says when it
 * matches one, `/openclaw known-issues`, and a malformed catalog (shipped or the operator's)
 * refused with the entry and the field named.
 */

/**
 * One captured line per entry: the finding that quotes it, the gateway version, and where the
 * line comes from. `dist` names the file of the openclaw@2026.9.6 package's dist/ (its name's
 * start) that holds the string, checked below when that package is installed in the cache.
 */
const CAPTURED: Record<string, { finding: string; line: string; version: string; dist?: [string, string] }> = {
  "plugin-sdk-export-138232": {
    finding: "plugins-not-loaded",
    line: "health.plugins.errors: slack: SyntaxError: The requested module 'openclaw/plugin-sdk/channel-runtime' does not provide an export named 'resolveChannelAccountConfig'",
    version: "2026.9.5",
    dist: ["loader-shared-", "does not provide an export named"],
  },
  "plugin-sdk-export-135776": {
    finding: "plugins-not-loaded",
    line: "[plugins] telegram failed to load: SyntaxError: The requested module '@openclaw/telegram' does not provide an export named 'createTelegramChannel'",
    version: "2026.9.6",
  },
  "plugin-sdk-export-94641": {
    finding: "plugins-not-loaded",
    line: "health.plugins.errors: memory-lancedb: SyntaxError: The requested module 'openclaw/plugin-sdk/memory' does not provide an export named 'registerMemoryBackend'",
    version: "2026.9.4",
  },
  "plugin-version-drift-76972": {
    finding: "plugin-lockstep",
    line: "Plugin version drift: 2 active official plugins differ from core 2026.9.6",
    version: "2026.9.6",
    dist: ["status-", "Plugin version drift"],
  },
  "stop-drain-138409": {
    finding: "gateway-draining",
    line: "[gateway] draining active work before stop with timeout 315000ms: cron-run=1",
    version: "2026.9.5",
    dist: ["run-", "draining active work before"],
  },
  "stop-drain-140821": {
    finding: "gateway-draining",
    line: "[gateway] shutdown deadline reached; abandoning unfinished cleanup and active work before stop; last observed: cron-run=1",
    version: "2026.9.6",
    dist: ["run-", "shutdown deadline reached; abandoning unfinished cleanup"],
  },
  "readyz-draining-136684": {
    finding: "gateway-unresponsive",
    line: 'GET /readyz → 503 {"ready":false,"failing":["gateway-draining"]}',
    version: "2026.9.6",
    dist: ["server-start-", "gateway-draining"],
  },
  "drain-timers-153899": {
    finding: "gateway-unresponsive",
    line: "19:36:55  [health]   refresh failed: Gateway health refresh owner is closed",
    version: "2026.9.5",
  },
  "queue-draining-78136": {
    finding: "all-models-failed",
    line: "GatewayDrainingError: Gateway is draining for restart; new tasks are not accepted",
    version: "2026.5.4",
  },
  "clean-restart-loop-154840": {
    finding: "supervisor-restart-loop",
    line: "[gateway] shutdown completed cleanly in 412ms",
    version: "2026.9.6",
    dist: ["server-close.runtime", "shutdown completed cleanly in"],
  },
  "tls-pin-renewal-150152": {
    finding: "tls-fingerprint-mismatch",
    line: "TLS certificate pin mismatch: expected sha256/8f2c… observed sha256/41a0…",
    version: "2026.9.5",
  },
  "tls-pin-renewal-107575": {
    finding: "tls-fingerprint-mismatch",
    line: "gateway TLS fingerprint mismatch",
    version: "2026.9.6",
  },
  "tls-pin-android-68438": {
    finding: "node-paired-disconnected",
    line: "Gateway error: gateway TLS fingerprint mismatch",
    version: "2026.4.5",
  },
  "mcp-start-failed-64205": {
    finding: "mcp-server-failing",
    line: '[bundle-mcp] failed to start server "github": McpError: MCP error -32000: Connection closed',
    version: "2026.9.6",
    dist: ["agent-bundle-lsp-runtime-", "failed to start server"],
  },
  "mcp-connect-timeout-114154": {
    finding: "mcp-server-failing",
    line: "McpClientConnectTimeoutError: MCP server connection timed out after 30000ms",
    version: "2026.9.6",
    dist: ["mcp-client-lifecycle-", "MCP server connection timed out after"],
  },
  "spawn-broker-emfile-151671": {
    finding: "spawn-broker-lost",
    line: "exec failed: SpawnBrokerError: Spawn broker exited; command outcome is unavailable",
    version: "2026.9.6",
    dist: ["host-", "Spawn broker exited; command outcome is unavailable"],
  },
  "context-overflow-146724": {
    finding: "context-overflow",
    line: "[context-overflow-diag] session=agent:main:main tokens=412345 limit=400000",
    version: "2026.9.6",
    dist: ["embedded-agent-", "context-overflow-diag"],
  },
  "compaction-timeout-124811": {
    finding: "context-overflow",
    line: "preflightCompaction failed: sessionKey=agent:main:main reason=Compaction timed out",
    version: "2026.9.6",
    dist: ["agent-runner-memory-", "preflightCompaction failed: sessionKey="],
  },
  "gmail-watch-stale-96088": {
    finding: "gmail-watch-stale",
    line: 'Periodic Workspace Gmail watch renew failed for ops@example.com: oauth2: "invalid_grant"',
    version: "2026.9.6",
  },
  "memory-vec-unavailable-108068": {
    finding: "memory-search-degraded",
    line: "Memory index WARNING (main): chunks_vec not updated — sqlite-vec unavailable. Vector recall degraded",
    version: "2026.9.6",
    dist: ["manager-vector-warning-", "chunks_vec not updated"],
  },
  "memory-fts-only-66746": {
    finding: "memory-search-degraded",
    line: "chunks written for memory/2026-04-14.md without vector embeddings — chunks_vec not updated (sqlite-vec unavailable). Vector recall degraded for this file.",
    version: "2026.4.14",
  },
  "memory-db-not-open-97015": {
    finding: "memory-search-degraded",
    line: 'memory_search → {"error":"database is not open"}',
    version: "2026.9.6",
  },
  "wedged-lane-114058": {
    finding: "session-lane-wedged",
    line: "[diagnostic] lane wait exceeded: lane=main waitedMs=182331 queueAhead=3 activeAhead=1",
    version: "2026.9.6",
    dist: ["command-queue-", "lane wait exceeded: lane="],
  },
  "wedged-lane-97586": {
    finding: "session-lane-wedged",
    line: "[diagnostic] stuck session: agent:main:telegram:123 state=processing age=912s",
    version: "2026.9.5",
    dist: ["diagnostic-", "stuck session"],
  },
  "plugin-target-unavailable-154314": {
    finding: "update-failed",
    line: "Failed phase plugin-target-unavailable: exit 1",
    version: "2026.9.4",
  },
  "plugin-target-unavailable-147983": {
    finding: "update-failed",
    line: "Reason code: plugin-target-unavailable",
    version: "2026.9.3",
  },
  "restart-aborts-runs-127375": {
    finding: "gateway-unresponsive",
    line: "aborted 1 active run(s) during restart shutdown",
    version: "2026.7.1-2",
  },
};

describe("the shipped catalog", () => {
  const catalog = builtinKnownIssues();

  it("validates, and holds at least 20 entries, each linked to its own openclaw/openclaw issue or PR", () => {
    expect(catalog.entries.length).toBeGreaterThanOrEqual(20);
    const numbers = new Set<string>();
    for (const e of catalog.entries) {
      expect(e.issue.url).toMatch(/^https:\/\/github\.com\/openclaw\/openclaw\/(issues|pull)\/\d+$/);
      expect(e.issue.url.endsWith(`/${e.issue.ref.split("#")[1]}`), e.id).toBe(true);
      numbers.add(e.issue.ref);
    }
    expect(numbers.size).toBe(catalog.entries.length);
    expect(catalog.versions).toEqual([
      { origin: "shipped with clawops", updated: expect.stringMatching(/^2026-/), entries: catalog.entries.length },
    ]);
  });

  it("every entry fires on its captured line (and every entry has one)", () => {
    expect(Object.keys(CAPTURED).sort()).toEqual(catalog.entries.map((e) => e.id).sort());
    for (const [id, c] of Object.entries(CAPTURED)) {
      const matched = knownIssuesFor(catalog, { id: c.finding, evidence: ["an unrelated line", c.line] }, c.version);
      expect(
        matched.map((e) => e.id),
        id,
      ).toContain(id);
    }
  });

  it("fires on the finding ids src/core/classify has where the entry names one, and not on another finding's line", () => {
    const plugin = { id: "plugins-not-loaded", evidence: [CAPTURED["plugin-sdk-export-138232"]?.line ?? ""] };
    expect(knownIssuesFor(catalog, plugin, "2026.9.6").map((e) => e.id)).toEqual([
      "plugin-sdk-export-138232",
      "plugin-sdk-export-135776",
      "plugin-sdk-export-94641",
    ]);
    // A clean shutdown is a known issue only inside a restart loop's finding.
    const stopped = { id: "gateway-stopped", evidence: ["[gateway] shutdown completed cleanly in 412ms"] };
    expect(knownIssuesFor(catalog, stopped, "2026.9.6")).toEqual([]);
    const loop = { id: "supervisor-restart-loop", evidence: stopped.evidence };
    expect(knownIssuesFor(catalog, loop, "2026.9.6").map((e) => e.id)).toEqual(["clean-restart-loop-154840"]);
    // A model provider's invalid_grant is not the Gmail watcher's.
    const model = {
      id: "model-auth-refresh-failing",
      evidence: ['anthropic: OAuth token refresh failed: "invalid_grant"'],
    };
    expect(knownIssuesFor(catalog, model, "2026.9.6")).toEqual([]);
  });

  it("a gateway outside the affected versions is not matched; an unknown version may be", () => {
    const drain = { id: "gateway-unresponsive", evidence: [CAPTURED["drain-timers-153899"]?.line ?? ""] };
    expect(knownIssuesFor(catalog, drain, "OpenClaw 2026.9.5 (ec9c1a1)").map((e) => e.id)).toEqual([
      "drain-timers-153899",
    ]);
    expect(knownIssuesFor(catalog, drain, "2026.9.6")).toEqual([]);
    expect(knownIssuesFor(catalog, drain, null).map((e) => e.id)).toEqual(["drain-timers-153899"]);
    const update = { id: "update-failed", evidence: ["Reason code: plugin-target-unavailable"] };
    expect(knownIssuesFor(catalog, update, "2026.9.5")).toEqual([]);
  });

  const dist = join(openclawCacheDir(), "node_modules", "openclaw", "dist");
  const installed = existsSync(join(openclawCacheDir(), ".clawops-installed.json"));
  it.skipIf(!installed)("the strings marked as from the release are in openclaw@2026.9.6's dist/", () => {
    const files = readdirSync(dist).filter((f) => f.endsWith(".mjs") || f.endsWith(".js"));
    for (const [id, c] of Object.entries(CAPTURED)) {
      if (!c.dist) continue;
      const [prefix, fragment] = c.dist;
      const holders = files.filter(
        (f) => f.startsWith(prefix) && readFileSync(join(dist, f), "utf8").includes(fragment),
      );
      expect(holders.length, `${id}: "${fragment}" in dist/${prefix}*`).toBeGreaterThan(0);
    }
  });
});

describe("calendar versions", () => {
  it("orders betas before releases and corrective releases after them", () => {
    const v = (s: string) => parseCalVer(s) ?? expect.fail(s);
    expect(compareCalVer(v("2026.9.6-beta.1"), v("2026.9.6"))).toBeLessThan(0);
    expect(compareCalVer(v("2026.3.23-2"), v("2026.3.23"))).toBeGreaterThan(0);
    expect(compareCalVer(v("2026.10.1"), v("2026.9.6"))).toBeGreaterThan(0);
    const range = parseRange(">=2026.9.0 <2026.9.6 || =2026.3.23-2");
    if ("error" in range) expect.fail(range.error);
    expect(["2026.9.0", "2026.9.5", "2026.3.23-2"].every((s) => satisfies(v(s), range))).toBe(true);
    expect(["2026.9.6", "2026.8.30", "2026.3.23"].some((s) => satisfies(v(s), range))).toBe(false);
  });
});

/** A copy of the shipped catalog with one change, as an operator's mistake would make it. */
function malformed(change: (doc: { entries: Record<string, unknown>[] } & Record<string, unknown>) => void): unknown {
  const doc = structuredClone(shipped) as unknown as { entries: Record<string, unknown>[] } & Record<string, unknown>;
  change(doc);
  return doc;
}

describe("a malformed catalog is refused with the entry and the field named", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "an evidence pattern that is not a regular expression",
      malformed((d) => {
        (d.entries[3] as { match: { evidence: string[] }[] }).match = [{ evidence: ["Plugin version (drift"] }];
      }),
      /^known-issue catalog test\.json: entry 3 \(plugin-version-drift-76972\), field match\[0\]\.evidence\[0\]: not a valid regular expression: .*Unterminated group/,
    ],
    [
      "a link off the openclaw/openclaw tracker",
      malformed((d) => {
        (d.entries[0] as { issue: { url: string } }).issue.url = "https://example.com/issues/138232";
      }),
      /entry 0 \(plugin-sdk-export-138232\), field issue\.url: is https:\/\/github\.com\/openclaw\/openclaw\/issues\/<n>/,
    ],
    [
      "a ref that names another issue than its link",
      malformed((d) => {
        (d.entries[1] as { issue: { ref: string } }).issue.ref = "openclaw/openclaw#1";
      }),
      /entry 1 \(plugin-sdk-export-135776\), field issue\.ref: names another number than its url \(135776\)/,
    ],
    [
      "a version range that is not one",
      malformed((d) => {
        (d.entries[4] as { versions: string }).versions = "september";
      }),
      /entry 4 \(stop-drain-138409\), field versions: not a version range: 'september' is not a comparator/,
    ],
    [
      "a fix inside its own affected versions",
      malformed((d) => {
        (d.entries[7] as { fixedIn: string }).fixedIn = "2026.9.5";
      }),
      /entry 7 \(drain-timers-153899\), field fixedIn: 2026\.9\.5 is inside the affected versions/,
    ],
    [
      "a fingerprint that names nothing",
      malformed((d) => {
        (d.entries[5] as { match: unknown[] }).match = [{}];
      }),
      /entry 5 \(stop-drain-140821\), field match\[0\]: names neither findings nor evidence/,
    ],
    [
      "a missing workaround",
      malformed((d) => {
        delete (d.entries[2] as { workaround?: string }).workaround;
      }),
      /entry 2 \(plugin-sdk-export-94641\), field workaround: /,
    ],
    [
      "an id used twice",
      malformed((d) => {
        (d.entries[9] as { id: string }).id = "plugin-sdk-export-138232";
      }),
      /entry 9 \(plugin-sdk-export-138232\), field id: 'plugin-sdk-export-138232' appears twice/,
    ],
    [
      "another format",
      malformed((d) => {
        d.format = 2;
      }),
      /^known-issue catalog test\.json: field format: /,
    ],
  ];
  it.each(cases)("%s", (_name, raw, message) => {
    let error: unknown;
    try {
      parseCatalog(raw, "test.json");
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KnownIssueCatalogError);
    expect((error as KnownIssueCatalogError).code).toBe("bad_known_issues");
    expect((error as Error).message).toMatch(message);
  });
});

describe("the operator's catalog (CLAWOPS_KNOWN_ISSUES_FILE)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "clawops-known-issues-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const own = {
    format: 1,
    updated: "2026-11-25",
    entries: [
      {
        id: "plugin-sdk-export-138232",
        issue: {
          ref: "openclaw/openclaw#138232",
          url: "https://github.com/openclaw/openclaw/issues/138232",
          title: "Our note on the plugin lockstep issue",
          titleParaphrased: true,
        },
        match: [{ findings: ["plugins-not-loaded"], evidence: ["does not provide an export named"] }],
        versions: ">=2026.9.0",
        fixedIn: null,
        workaround: "Run our playbook OPS-PLUGINS first.",
        source: "our own incidents",
      },
      {
        id: "ours-151671-emfile",
        issue: {
          ref: "openclaw/openclaw#151671",
          url: "https://github.com/openclaw/openclaw/issues/151671",
          title: "Spawn broker exits on EMFILE",
          titleParaphrased: true,
        },
        match: [{ evidence: ["EMFILE: too many open files"] }],
        versions: "*",
        fixedIn: null,
        workaround: "LimitNOFILE=65536 in the unit.",
        source: "our hosts' logs",
      },
    ],
  };

  it("adds its entries to the shipped ones, an entry with a shipped id replacing it", () => {
    const merged = mergeCatalogs(builtinKnownIssues(), parseCatalog(own, "ours.json"));
    expect(merged.entries.length).toBe(builtinKnownIssues().entries.length + 1);
    expect(merged.entries.filter((e) => e.id === "plugin-sdk-export-138232").map((e) => e.workaround)).toEqual([
      "Run our playbook OPS-PLUGINS first.",
    ]);
    const emfile = { id: "gateway-unresponsive", evidence: ["spawn /usr/bin/git EMFILE: too many open files"] };
    expect(knownIssuesFor(merged, emfile, "2026.9.6").map((e) => e.origin)).toEqual(["ours.json"]);
    expect(merged.versions.map((v) => v.origin)).toEqual(["shipped with clawops", "ours.json"]);
  });

  it("a good file is read at start into the control plane's settings", async () => {
    const file = join(dir, "good.json");
    writeFileSync(file, JSON.stringify(own));
    const loaded = await loadNodeConfig({ CLAWOPS_KNOWN_ISSUES_FILE: file });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    expect(
      loaded.config.values.CLAWOPS_KNOWN_ISSUES_FILE?.value.entries.some((e) => e.id === "ours-151671-emfile"),
    ).toBe(true);
  });

  it("a malformed file is a configuration problem naming the variable, the file, the entry and the field", async () => {
    const file = join(dir, "bad.json");
    const bad = structuredClone(own);
    (bad.entries[1] as { match: { evidence: string[] }[] }).match = [{ evidence: ["EMFILE: (too many"] }];
    writeFileSync(file, JSON.stringify(bad));
    const loaded = await loadNodeConfig({ CLAWOPS_KNOWN_ISSUES_FILE: file });
    if (loaded.ok) expect.fail("accepted");
    expect(loaded.problems.join("\n")).toMatch(
      /known-issue catalog CLAWOPS_KNOWN_ISSUES_FILE .*bad\.json: entry 1 \(ours-151671-emfile\), field match\[0\]\.evidence\[0\]: not a valid regular expression/,
    );
    const notJson = join(dir, "not.json");
    writeFileSync(notJson, "{ entries: [");
    const loaded2 = await loadNodeConfig({ CLAWOPS_KNOWN_ISSUES_FILE: notJson });
    if (loaded2.ok) expect.fail("accepted");
    expect(loaded2.problems.join("\n")).toMatch(/CLAWOPS_KNOWN_ISSUES_FILE .*not\.json: cannot read it as JSON/);
  });

  it("`npm start` refuses to start with it, naming the entry and the field", async () => {
    const file = join(dir, "bad-start.json");
    writeFileSync(file, JSON.stringify({ ...own, entries: [{ ...own.entries[1], versions: "" }] }));
    const r = await runCli(
      [],
      { CLAWOPS_KNOWN_ISSUES_FILE: file, CLAWOPS_DATA_DIR: join(dir, "data"), CLAWOPS_PORT: "0" },
      MAIN,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `CLAWOPS_KNOWN_ISSUES_FILE: known-issue catalog CLAWOPS_KNOWN_ISSUES_FILE ${file}: entry 0 (ours-151671-emfile), field versions: not a version range: is empty (use * for every version)`,
    );
  });

  it("`clawops config` lists it and exits 2", async () => {
    const file = join(dir, "bad-config.json");
    const bad = structuredClone(own);
    (bad.entries[0] as { fixedIn: string | null }).fixedIn = "2026.9.7";
    writeFileSync(file, JSON.stringify(bad));
    const r = await runCli(["config"], { CLAWOPS_KNOWN_ISSUES_FILE: file, CLAWOPS_DATA_DIR: join(dir, "data") });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /entry 0 \(plugin-sdk-export-138232\), field fixedIn: 2026\.9\.7 is inside the affected versions \(>=2026\.9\.0\)/,
    );
  });
});

describe("/openclaw known-issues", () => {
  const NOW = Date.UTC(2026, 10, 26, 12, 0);
  const host = (name: string, gatewayVersion: string | null): HostRecord => ({
    name,
    publicKey: "k",
    enrolledAt: NOW - 86_400_000,
    revokedAt: null,
    agentVersion: "0.1.0",
    gatewayVersion,
    lastSeenAt: NOW - 5_000,
  });
  /** node-3's last triage: a plugin on the old release, as the gateway's health reports it. */
  function pluginTriage(): JobRecord {
    const d = healthyData();
    if (d.inventory.plugins)
      d.inventory.plugins.errors = [
        "slack: SyntaxError: The requested module 'openclaw/plugin-sdk/channel-runtime' does not provide an export named 'resolveChannelAccountConfig'",
      ];
    return {
      id: "job_triage3",
      host: "node-3",
      kind: "triage",
      status: "done",
      requestKey: "r1",
      channel: "C1",
      user: "U1",
      threadTs: null,
      progressTs: null,
      resultTs: null,
      createdAt: NOW - 600_000,
      finishedAt: NOW - 590_000,
      results: triageResults(d),
      detail: null,
    } as JobRecord;
  }

  async function answer(text: string, store: InMemoryStore): Promise<string> {
    const deps = testDeps({ store, clock: { now: () => NOW } });
    const reply = await handleCommand(deps, {
      text,
      user: "U1",
      channel: "C1",
      requestKey: `req-${text}-${Math.random()}`,
      source: "console",
    });
    return messageToText(reply.ack);
  }

  async function fleet(): Promise<InMemoryStore> {
    const store = new InMemoryStore();
    await store.insertHost(host("node-3", "2026.9.5"));
    await store.insertHost(host("node-4", "2026.9.4"));
    await store.insertHost(host("node-5", "2026.9.6"));
    await store.createJob(pluginTriage());
    return store;
  }

  it("parses `known-issues`, `known-issues all` and `known-issues <host>`, and refuses more words", () => {
    expect(parseCommand("known-issues")).toEqual({ kind: "known-issues", host: null });
    expect(parseCommand("known-issues ALL")).toEqual({ kind: "known-issues", host: null });
    expect(parseCommand("known-issues node-3")).toEqual({ kind: "known-issues", host: "node-3" });
    expect(() => parseCommand("known-issues node-3 node-4")).toThrow(
      /Usage: `\/openclaw known-issues \[<host>\|all\]`/,
    );
  });

  it("all: how many hosts each entry affects, from the last triages and the gateways' versions", async () => {
    const text = await answer("known-issues all", await fleet());
    expect(text).toContain("🐞 Known issues across 3 hosts");
    expect(text).toContain("🐞 openclaw/openclaw#138232 — no fix released yet: 1 host (node-3)");
    expect(text).toContain("https://github.com/openclaw/openclaw/issues/138232");
    // node-4 runs 2026.9.4, inside the range of the update failures 2026.9.5 fixes.
    expect(text).toContain(
      "▫️ openclaw/openclaw#154314 — fixed in 2026.9.5: not seen; 1 host on an affected version (<2026.9.5): node-4",
    );
    expect(text).toMatch(/\d+ other entries match no host\./);
    expect(text).toContain("Catalog: shipped with clawops: 27 entries, of 2026-11-26.");
  });

  it("<host>: the matched issues with links and workarounds, and what its version is exposed to", async () => {
    const store = await fleet();
    const text = await answer("known-issues node-3", store);
    expect(text).toContain(
      "🐞 Known issues openclaw/openclaw#138232, #135776, #94641 — no fix released yet: An official plugin left on the previous release",
    );
    expect(text).toContain("on finding plugins-not-loaded");
    expect(text).toContain("Workaround: Bring the official plugins to the core's release");
    expect(text).toContain("last triage 10 min ago · no watch state · gateway 2026.9.5");
    const never = await answer("known-issues node-5", store);
    expect(never).toContain("node-5 has no triage yet: /openclaw triage node-5 reads it");
    const unknown = await answer("known-issues node-9", store);
    expect(unknown).toContain("No enrolled host named node-9");
  });

  it("the CLI sends the same command text", async () => {
    const { parseCli } = await import("../../src/node/cli/args.mjs");
    expect(parseCli(["known-issues", "node-3"], {}).text).toBe("known-issues node-3");
    expect(parseCli(["known-issues"], {}).text).toBe("known-issues");
    expect(() => parseCli(["known-issues", "a", "b"], {})).toThrow(/usage: clawops known-issues \[<host>\|all\]/);
  });
});

const MAIN = fileURLToPath(new URL("../../src/node/main.ts", import.meta.url));

function runCli(
  args: string[],
  env: Record<string, string>,
  file = CLI,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(CLAWOPS|SLACK|JIRA|GITHUB|PAGERDUTY|AWS)_|^LOG_LEVEL$/.test(k)),
    );
    const child = spawn(process.execPath, [file, ...args], {
      env: { ...clean, CLAWOPS_LOCAL_AGENT: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
