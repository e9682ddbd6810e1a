import { chmodSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { type ControlServer, startControlServer } from "../support/gateway/control-server.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { allSettledOrThrow, blocksOf, killGatewayOwners, RecoverSession } from "../support/recover-run.ts";
import { waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

/**
 * `/openclaw upgrade <host> to <version>` on a real gateway (issue 42, item 1): really signed
 * slash commands and button presses, the Slack stand-in, the control plane and a real agent
 * process. The gateway is a real OpenClaw run from a versions folder (`2026.9.5`, `2026.9.6`
 * side by side, both the npm registry's releases in the lab cache, and `current`, the link the
 * unit runs), under the systemd user unit played by test/support/standin-bin/systemctl. The
 * gateway is this file's own (the `gateway-own` project: no shared gateway runs for it).
 */
const SECRET = "test-signing-secret-upgrade-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-upgrade";
const HOST = "node-3";
const OWNER = "U0OWNER";
const CHANNEL = "C0UPGRADES";
const UNIT = "openclaw-gateway.service";

let gw: RealGateway;
let control: ControlServer;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let agent: AgentProcess;
let agentDir: string;
let workDir: string;
let versions: string;
let run: RecoverSession;

const all = () => run.all();
const current = () => readlinkSync(join(versions, "current"));

/** The run's table once it has ended (`Upgrade to … done|stopped`), pressing Approve on each switch it asks. */
async function upgrade(to: string): Promise<StoredMessage> {
  const before = all().length;
  const reply = await run.slash(OWNER, `upgrade ${HOST} to ${to}`);
  expect(JSON.stringify(reply.body)).toContain(`to OpenClaw ${to} on 1 host`);
  let id = "";
  await slack.waitFor(
    () => {
      const ask = all()
        .slice(before)
        .find((m) => blocksOf(m).includes("clawops_approve") && blocksOf(m).includes(`to ${to}:`));
      id = /"value":"(cf_[^"]+)"/.exec(ask ? blocksOf(ask) : "")?.[1] ?? "";
      return id !== "" && all().some((m) => /^Upgrading OpenClaw/.test(m.text) && blocksOf(m).includes("asking"));
    },
    120_000,
    "the switch's confirmation",
  );
  expect((await run.press(OWNER, id)).body).toEqual({ ok: true });
  let end: StoredMessage | undefined;
  await slack.waitFor(
    () => {
      end = all()
        .slice(before)
        .find((m) => new RegExp(`^Upgrade to ${to.replace(/\./g, "\\.")} (done|stopped)`).test(m.text));
      return end !== undefined;
    },
    360_000,
    "the end of the upgrade run",
  );
  return end as StoredMessage;
}

/** A version folder whose `openclaw` throws at start: a target that cannot start. */
function brokenRelease(version: string): string {
  const dir = join(workDir, `broken-${version}`);
  const pkg = join(dir, "node_modules", "openclaw");
  mkdirSync(pkg, { recursive: true });
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({ name: "openclaw", version, bin: { openclaw: "openclaw.mjs" } }),
  );
  writeFileSync(
    join(pkg, "openclaw.mjs"),
    '#!/usr/bin/env node\nthrow new Error("this build of openclaw cannot start (clawops upgrade test)");\n',
  );
  chmodSync(join(pkg, "openclaw.mjs"), 0o755);
  symlinkSync("../openclaw/openclaw.mjs", join(dir, "node_modules", ".bin", "openclaw"));
  return dir;
}

/**
 * The real 2026.9.6 whose service starts it with `--token <other>` (token drift, GATEWAY-FACTS
 * §6a: a unit that passes a token its clients do not have): it starts, migrates the state and
 * reports ready, and refuses the agent's calls, so the acceptance after the switch fails.
 */
function driftingRelease(realDir: string): string {
  const dir = join(workDir, "drifting-2026.9.6");
  mkdirSync(join(dir, "node_modules", ".bin"), { recursive: true });
  symlinkSync(join(realDir, "node_modules", "openclaw"), join(dir, "node_modules", "openclaw"));
  const real = join(realDir, "node_modules", ".bin", "openclaw");
  writeFileSync(
    join(dir, "node_modules", ".bin", "openclaw"),
    `#!/bin/sh\nif [ "$1" = gateway ] && [ "$2" = run ]; then exec "${real}" "$@" --token drift-${Date.now()}; fi\nexec "${real}" "$@"\n`,
  );
  chmodSync(join(dir, "node_modules", ".bin", "openclaw"), 0o755);
  return dir;
}

/** The `schema_version` OpenClaw wrote in a database's `schema_meta` (its primary row). */
function schemaOf(path: string): number | undefined {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db.prepare("SELECT schema_version FROM schema_meta WHERE meta_key = 'primary'").get() as
      | { schema_version?: number }
      | undefined;
    return row?.schema_version;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  const [old, next] = await Promise.all([ensureOpenclaw(process.env, "2026.9.5"), ensureOpenclaw()]);
  workDir = mkdtempSync(join(tmpdir(), "clawops-upgrade-"));
  versions = join(workDir, "versions");
  mkdirSync(versions);
  symlinkSync(old.installDir, join(versions, "2026.9.5"));
  symlinkSync(next.installDir, join(versions, "2026.9.6"));
  symlinkSync("2026.9.5", join(versions, "current"));
  const openclawBin = join(versions, "current", "node_modules", ".bin", "openclaw");
  gw = await RealGateway.create({ ...old, openclawBin });
  // 2026.9.5 starts (15–40 s) while the control plane comes up and the agent enrolls (they need
  // only the lab's env); the agent runs once the gateway is up.
  const started = gw.start();
  const agentUp = agentComesUp(openclawBin, started);
  await allSettledOrThrow([started, agentUp]);
}, 420_000);

/** The stand-in unit's control server, the Slack stand-in, the control plane and the enrolled agent, online once `started` is. */
async function agentComesUp(openclawBin: string, started: Promise<void>): Promise<void> {
  control = await startControlServer(gw);
  const authzFile = join(workDir, "authz.json");
  writeFileSync(
    authzFile,
    JSON.stringify({
      actions: {
        upgrade: { users: [OWNER] },
        freeze: { users: [OWNER] },
        unfreeze: { users: [OWNER] },
      },
    }),
  );
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  cp = await spawnControlPlane({
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_API_URL: apiUrl,
    CLAWOPS_AUTHZ_FILE: authzFile,
  });
  const env = {
    ...process.env,
    ...gw.env,
    PATH: [resolve("test/support/standin-bin"), gw.env.PATH].join(delimiter),
    CLAWOPS_OPENCLAW_BIN: openclawBin,
    XDG_RUNTIME_DIR: workDir,
    CLAWOPS_STANDIN_SYSTEMD: JSON.stringify({
      unit: UNIT,
      user: true,
      controlUrl: control.address.url,
      controlToken: control.address.token,
      log: join(workDir, "systemctl-calls.jsonl"),
      gatewayLog: gw.logPath,
    }),
  };
  agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env });
  writeFileSync(
    join(agentDir, "policy.json"),
    JSON.stringify({
      allow: ["gateway.switch"],
      supervisor: { kind: "systemd", unit: UNIT, user: true },
      gatewayVersions: { dir: versions },
    }),
  );
  // The agent's doctor cache is keyed by the state folder's shape too, which the gateway's
  // first start changes: started before, its first `doctor --lint` would be spent for nothing.
  await started;
  agent = runAgent({ dir: agentDir, env });
  run = new RecoverSession({ url: cp.url, secret: SECRET, channel: CHANNEL, host: HOST, slack });
  await waitHostOnline(cp.url, SECRET, HOST, { describe: () => agent.log() });
}

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  await slack?.stop();
  await control?.close();
  if (gw) await killGatewayOwners(gw.port);
  await gw?.dispose();
  for (const d of [agentDir, workDir, cp?.dataDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 420_000);

describe("/openclaw upgrade on a real gateway under its supervisor", () => {
  it("a version that does not exist is refused before anything changes", async () => {
    const reply = await run.slash(OWNER, `upgrade ${HOST} to 2026.9.99`);
    expect(JSON.stringify(reply.body)).toContain("OpenClaw 2026.9.99 is not a release clawops knows");
    expect(current()).toBe("2026.9.5");
  });

  it("a target that cannot start: the agent switches straight back to 2026.9.5 and restarts it; the run stops", async () => {
    const real = readlinkSync(join(versions, "2026.9.6"));
    rmSync(join(versions, "2026.9.6"));
    symlinkSync(brokenRelease("2026.9.6"), join(versions, "2026.9.6"));
    try {
      const end = await upgrade("2026.9.6");
      expect(end.text, blocksOf(end)).toMatch(/^Upgrade to 2026\.9\.6 stopped: 0 upgraded, 1 rolled back/);
      expect(blocksOf(end)).toMatch(
        /rolled-back: 2026\.9\.6 did not start \(the restart on 2026\.9\.6: `systemctl --user restart openclaw-gateway\.service` exited 1/,
      );
      expect(blocksOf(end)).toContain("back on 2026.9.5, acceptance read `status` ok, write `sessions.create` ok");
      expect(blocksOf(end)).toContain("Stopped at node-3");
      expect(current()).toBe("2026.9.5");
      expect(gw.running).toBe(true);
      expect((await run.slash(OWNER, "status")).body.text).toBe("No active freezes.");
    } finally {
      rmSync(join(versions, "2026.9.6"));
      symlinkSync(real, join(versions, "2026.9.6"));
    }
  });

  it("a 2026.9.6 that starts but fails the acceptance is rolled back; 2026.9.5 refuses its migrated state, so the state from before the switch is put back and 2026.9.5 serves on it", async () => {
    const state = gw.env.OPENCLAW_STATE_DIR;
    const shared = join(state, "state", "openclaw.sqlite");
    // The earlier runs' acceptance wrote a session: the agent database exists, as on a used gateway.
    const agentDb = join(state, "agents", "main", "agent", "openclaw-agent.sqlite");
    expect([schemaOf(shared), schemaOf(agentDb)]).toEqual([17, 21]);
    const real = readlinkSync(join(versions, "2026.9.6"));
    rmSync(join(versions, "2026.9.6"));
    symlinkSync(driftingRelease(real), join(versions, "2026.9.6"));
    try {
      const end = await upgrade("2026.9.6");
      expect(end.text, blocksOf(end)).toMatch(/^Upgrade to 2026\.9\.6 stopped: 0 upgraded, 1 rolled back/);
      expect(blocksOf(end)).toMatch(/rolled-back: the acceptance failed \(read `status` failed/);
      expect(blocksOf(end)).toContain("the state from before the switch put back");
      expect(blocksOf(end)).toContain("back on 2026.9.5, acceptance read `status` ok, write `sessions.create` ok");
      expect(current()).toBe("2026.9.5");
      expect(gw.running).toBe(true);
      // 2026.9.6 had migrated both databases, and 2026.9.5 refused them before the state went back.
      const log = await gw.logTail(200_000);
      expect(log).toContain("database schema(s) are newer than this build");
      expect(log).toMatch(/agent database for agent main .* uses schema 23; this build supports 21/);
      expect([schemaOf(shared), schemaOf(agentDb)]).toEqual([17, 21]);
      // What 2026.9.6 wrote is set aside beside each file, not deleted.
      expect([schemaOf(`${shared}.clawops-newer`), schemaOf(`${agentDb}.clawops-newer`)]).toEqual([18, 23]);
      const audit = JSON.stringify((await run.slash(OWNER, `audit ${HOST}`)).body);
      // The audit list clips each row; the run's table above has the whole line.
      expect(audit).toMatch(
        /upgrade\.rollback[^"]*→ 2026\.9\.5: [^"]*it refused the state the newer version left, so the state from before the switch/,
      );
      expect((await run.slash(OWNER, "status")).body.text).toBe("No active freezes.");
    } finally {
      rmSync(join(versions, "2026.9.6"));
      symlinkSync(real, join(versions, "2026.9.6"));
    }
  });

  it("2026.9.5 → 2026.9.6: switched, restarted by systemd, acceptance passes, the gateway reports 2026.9.6", async () => {
    const pid = gw.pid;
    const end = await upgrade("2026.9.6");
    expect(end.text, blocksOf(end)).toMatch(/^Upgrade to 2026\.9\.6 done: 1 upgraded, 0 rolled back, 0 failed/);
    expect(blocksOf(end)).toContain("on 2026.9.6 · upgraded: acceptance read `status` ok, write `sessions.create` ok");
    expect(current()).toBe("2026.9.6");
    expect(gw.pid).not.toBe(pid);
    const audit = JSON.stringify((await run.slash(OWNER, `audit ${HOST}`)).body);
    expect(audit).toContain("approved gateway.switch");
    expect(audit).toMatch(/upgrade\.switch[^"]*2026\.9\.5 → 2026\.9\.6/);
    expect((await run.slash(OWNER, "status")).body.text).toBe("No active freezes.");
    expect(JSON.stringify(all())).not.toContain(gw.token);
  });

  it("and back: 2026.9.5 refuses the state 2026.9.6 migrated, so the agent puts 2026.9.6 back; it serves, the run stops", async () => {
    // OpenClaw 2026.9.6 moves the state database to schema 18; 2026.9.5 refuses to start on it
    // ("database schema(s) are newer than this build … restore your pre-upgrade backup").
    const end = await upgrade("2026.9.5");
    expect(end.text, blocksOf(end)).toMatch(/^Upgrade to 2026\.9\.5 stopped: 0 upgraded, 1 rolled back/);
    expect(blocksOf(end)).toMatch(/rolled-back: 2026\.9\.5 did not start/);
    expect(blocksOf(end)).toContain("back on 2026.9.6, acceptance read `status` ok, write `sessions.create` ok");
    expect(current()).toBe("2026.9.6");
    expect(await gw.logTail(20_000)).toContain("database schema(s) are newer than this build");
    expect(gw.running).toBe(true);
  });
});
