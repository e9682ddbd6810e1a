import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { backupFor, backupState, restoreState } from "../../src/agent/probes/gateway-state-backup.ts";
import { swapLink } from "../../src/agent/probes/gateway-switch.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepResultOf } from "../../src/contract/catalog.ts";
import { enrolledAgentDir, testApproval } from "../support/approvals.ts";

/**
 * `gateway.switch` on the agent, up to the restart (which test/gateway/upgrade-gateway.test.ts
 * runs against a real gateway under the systemctl stand-in): what it refuses, touching nothing,
 * and an install that fails leaving no version folder behind.
 */
const HOST = "node-3";
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** An enrolled agent, a versions folder with 2026.9.5 and `current`, and policy.json as `policy` makes it from that folder. */
async function lab(policy: (versions: string) => Record<string, unknown>) {
  const { agentDir, key } = await enrolledAgentDir(HOST);
  const root = mkdtempSync(join(tmpdir(), "clawops-switch-"));
  dirs.push(agentDir, root);
  const versions = join(root, "versions");
  const pkg = join(versions, "2026.9.5", "node_modules", "openclaw");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "openclaw", version: "2026.9.5" }));
  symlinkSync("2026.9.5", join(versions, "current"));
  writeFileSync(join(agentDir, "policy.json"), JSON.stringify(policy(versions)));
  // An `npm` that fails as the registry's would for a version it does not have (E404), after
  // leaving a half-made tree in its prefix.
  const bin = join(root, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "npm"),
    `#!/bin/sh\nmkdir -p "$3/node_modules/openclaw"\necho "npm error code E404" >&2\necho "npm error 404 No match found for version $4" >&2\nexit 1\n`,
  );
  chmodSync(join(bin, "npm"), 0o755);
  const ctx = resolveProbeContext(
    { HOME: root, PATH: [bin, process.env.PATH].join(delimiter) },
    {
      agentDir,
      agentVersion: "0.0.0-test",
      openclawBin: join(versions, "current", "node_modules", ".bin", "openclaw"),
    },
  );
  const step = async (version: string, install: boolean) => {
    const approval = await testApproval(key, { host: HOST, step: "gateway.switch" });
    const [r] = await runSteps(ctx, [{ step: "gateway.switch", args: { approval, version, install } }], {
      deadlineMs: 30_000,
    });
    return (r as StepResultOf<"gateway.switch">).data;
  };
  return { versions, step };
}

describe("gateway.switch on the agent", () => {
  const allowed = (versions: string) => ({ allow: ["gateway.switch"], gatewayVersions: { dir: versions } });

  it("refuses without gateway.switch in policy.json, touching nothing", async () => {
    const { versions, step } = await lab((dir) => ({ allow: ["gateway.restart"], gatewayVersions: { dir } }));
    const d = await step("2026.9.6", true);
    expect(d).toMatchObject({ performed: false });
    expect(d?.refused).toContain('does not allow it. A host administrator can add "gateway.switch"');
    expect(readlinkSync(join(versions, "current"))).toBe("2026.9.5");
  });

  it("refuses without a versions folder in policy.json, and says what to add", async () => {
    const { step } = await lab(() => ({ allow: ["gateway.switch"] }));
    expect((await step("2026.9.6", true))?.refused).toMatch(
      /policy\.json names no versions folder: add "gatewayVersions"/,
    );
  });

  it("refuses when `current` is not a link (the gateway is not run from the folder)", async () => {
    const { versions, step } = await lab(allowed);
    rmSync(join(versions, "current"));
    mkdirSync(join(versions, "current"));
    expect((await step("2026.9.6", true))?.refused).toMatch(/current is not a link to a version folder \(EINVAL\)/);
  });

  it("a rollback to a version the folder does not hold is refused; `current` stays", async () => {
    const { versions, step } = await lab(allowed);
    const d = await step("2026.9.4", false);
    expect(d?.refused).toBe(`${join(versions, "2026.9.4")} does not hold openclaw 2026.9.4: nothing to switch back to`);
    expect(readlinkSync(join(versions, "current"))).toBe("2026.9.5");
  });

  it("a failed install leaves no folder named after the version, nor a half-made one; the running gateway untouched", async () => {
    const { versions, step } = await lab(allowed);
    const d = await step("2026.9.6", true);
    expect(d).toMatchObject({ performed: false, from: "2026.9.5", to: "2026.9.6", install: { ran: true } });
    expect(d?.error).toBe("npm install exited 1; the running gateway was not touched");
    expect(d?.install?.outputTail).toContain("npm error code E404");
    expect(readdirSync(versions).sort()).toEqual(["2026.9.5", "current"]);
    expect(existsSync(join(versions, "2026.9.6"))).toBe(false);
    expect(readlinkSync(join(versions, "current"))).toBe("2026.9.5");
  });

  it("swaps `current` by one rename: no temporary link is left, the link names the new folder", () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-swap-"));
    dirs.push(root);
    mkdirSync(join(root, "2026.9.5"));
    mkdirSync(join(root, "2026.9.6"));
    symlinkSync("2026.9.5", join(root, "current"));
    swapLink(root, "2026.9.6");
    expect(readlinkSync(join(root, "current"))).toBe("2026.9.6");
    expect(readdirSync(root).sort()).toEqual(["2026.9.5", "2026.9.6", "current"]);
  });

  it("keeps the state before a switch and puts it back: the config, the shared database and each agent database it registers, as they were", async () => {
    const { DatabaseSync } = await import("node:sqlite");
    const root = mkdtempSync(join(tmpdir(), "clawops-state-"));
    dirs.push(root);
    const stateDir = join(root, "state-dir");
    mkdirSync(join(stateDir, "state"), { recursive: true });
    mkdirSync(join(stateDir, "agents", "main", "agent"), { recursive: true });
    mkdirSync(join(root, "elsewhere"));
    const configPath = join(stateDir, "openclaw.json");
    writeFileSync(configPath, '{"meta":{"lastTouchedVersion":"2026.9.5"}}');
    // As OpenClaw 2026.9.5 lays it out: the shared database registers each agent's, by a path
    // relative to the state dir, or absolute (an agent whose folder is configured elsewhere).
    const shared = join(stateDir, "state", "openclaw.sqlite");
    const agentDb = join(stateDir, "agents", "main", "agent", "openclaw-agent.sqlite");
    const otherDb = join(root, "elsewhere", "openclaw-agent.sqlite");
    const open = (path: string, schema: number) => {
      const db = new DatabaseSync(path);
      db.exec(`PRAGMA journal_mode=WAL; CREATE TABLE meta (schema INTEGER); INSERT INTO meta VALUES (${schema});`);
      return db;
    };
    const db = open(shared, 17);
    db.exec("CREATE TABLE agent_databases (agent_id TEXT, path TEXT)");
    db.prepare("INSERT INTO agent_databases VALUES (?, ?), (?, ?)").run(
      "main",
      "agents/main/agent/openclaw-agent.sqlite",
      "ops",
      otherDb,
    );
    const agents = [open(agentDb, 21), open(otherDb, 21)];
    const ctx = resolveProbeContext({ HOME: root, OPENCLAW_STATE_DIR: stateDir }, { agentVersion: "0.0.0-test" });
    const versions = join(root, "versions");
    mkdirSync(versions);
    // Taken while the databases are open and written, as the gateway's are.
    const taken = await backupState(ctx, versions, "2026.9.5", "2026.9.6");
    expect(taken).toMatchObject({ from: "2026.9.5", to: "2026.9.6", config: true });
    expect(taken.databases.map((d) => d.path).sort()).toEqual([agentDb, otherDb, shared].sort());
    // What OpenClaw 2026.9.6's first start does: every schema moved on, a new database made.
    db.exec("UPDATE meta SET schema = 18");
    for (const a of agents) a.exec("UPDATE meta SET schema = 23");
    for (const d of [db, ...agents]) d.close();
    const quarantine = join(stateDir, "state", "openclaw-quarantine.sqlite");
    open(quarantine, 2).close();
    writeFileSync(configPath, '{"meta":{"lastTouchedVersion":"2026.9.6"}}');
    // Only the backup of the switch from 2026.9.5 to what runs now is used.
    expect(backupFor(versions, "2026.9.5", "2026.9.7")).toBeNull();
    const kept = backupFor(versions, "2026.9.5", "2026.9.6");
    expect(kept).not.toBeNull();
    const put = await restoreState(ctx, versions, kept as NonNullable<typeof kept>);
    const schema = (path: string) => {
      const again = new DatabaseSync(path, { readOnly: true });
      try {
        return (again.prepare("SELECT schema FROM meta").get() as { schema: number }).schema;
      } finally {
        again.close();
      }
    };
    expect([schema(shared), schema(agentDb), schema(otherDb)]).toEqual([17, 21, 21]);
    expect(existsSync(quarantine)).toBe(false);
    expect(readFileSync(configPath, "utf8")).toContain("2026.9.5");
    // The newer state is set aside beside each file, not deleted; no staged copy is left.
    expect(schema(`${agentDb}.clawops-newer`)).toBe(23);
    expect(existsSync(`${quarantine}.clawops-newer`)).toBe(true);
    expect(readdirSync(join(stateDir, "state")).filter((n) => n.endsWith(".clawops-restore"))).toEqual([]);
    // Should the older version not start even so, the newer state goes back as it was.
    put.undo();
    expect([schema(shared), schema(agentDb), schema(otherDb), schema(quarantine)]).toEqual([18, 23, 23, 2]);
    expect(readFileSync(configPath, "utf8")).toContain("2026.9.6");
    expect(readdirSync(join(stateDir, "state")).filter((n) => n.includes(".clawops-"))).toEqual([]);
  });

  it("a backup that cannot be staged changes nothing", async () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-state-"));
    dirs.push(root);
    const stateDir = join(root, "state-dir");
    mkdirSync(join(stateDir, "state"), { recursive: true });
    const configPath = join(stateDir, "openclaw.json");
    writeFileSync(configPath, '{"v":"2026.9.6"}');
    const ctx = resolveProbeContext({ HOME: root, OPENCLAW_STATE_DIR: stateDir }, { agentVersion: "0.0.0-test" });
    const versions = join(root, "versions");
    mkdirSync(join(versions, ".state-before-switch"), { recursive: true });
    writeFileSync(join(versions, ".state-before-switch", "openclaw.json"), '{"v":"2026.9.5"}');
    const missing = join(stateDir, "state", "openclaw.sqlite");
    await expect(
      restoreState(ctx, versions, {
        from: "2026.9.5",
        to: "2026.9.6",
        takenAt: 0,
        config: true,
        databases: [{ path: missing, copy: "db/0-openclaw.sqlite" }],
      }),
    ).rejects.toThrow(/ENOENT/);
    expect(readFileSync(configPath, "utf8")).toBe('{"v":"2026.9.6"}');
    expect(readdirSync(stateDir).sort()).toEqual(["openclaw.json", "state"]);
  });
});
