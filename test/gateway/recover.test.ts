import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findPortOwners } from "../../src/agent/probes/host/port-owners.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { postSlashCommand, signSlack, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn, type StoredMessage } from "../support/slack-standin.ts";

/**
 * `/openclaw recover` end to end: really signed slash commands and button presses, the Slack
 * stand-in, the control plane and a real agent process, on a dedicated real OpenClaw gateway run
 * by hand (started here with token drift), so the shared gateway is never restarted.
 */
const SECRET = "test-signing-secret-recover-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-recover";
const HOST = "node-3";
const OWNER = "U0OWNER";
const OTHER = "U0OTHER";
const CHANNEL = "C0INCIDENT";
const driftToken = `drift-${randomBytes(12).toString("hex")}`;

let gw: RealGateway;
let slack: SlackStandIn;
let cp: ControlPlaneProcess;
let agent: AgentProcess;
let agentDir: string;
let workDir: string;

async function ownerPids(): Promise<number[]> {
  const owners = await findPortOwners("/proc", gw.port, process.env);
  return [...new Set(owners.owners.map((o) => o.pid).filter((p): p is number => p !== null))];
}

const slash = (user: string, text: string) =>
  postSlashCommand(cp.url, SECRET, { text, user_id: user, channel_id: CHANNEL });
const all = () => [...slack.messages.values()];
const blocksOf = (m: StoredMessage) => JSON.stringify(m.blocks);

function pressBody(user: string, id: string, actionId = "clawops_approve"): string {
  return new URLSearchParams({
    payload: JSON.stringify({
      type: "block_actions",
      user: { id: user },
      channel: { id: CHANNEL },
      container: { type: "message", channel_id: CHANNEL },
      actions: [{ type: "button", action_id: actionId, block_id: "clawops_confirm", value: id }],
    }),
  }).toString();
}

async function press(user: string, id: string, headers?: Record<string, string>, actionId?: string) {
  const body = pressBody(user, id, actionId);
  const res = await fetch(`${cp.url}/slack/interactions`, {
    method: "POST",
    headers: headers ?? signSlack(SECRET, body),
    body,
  });
  return {
    status: res.status,
    body: (await res.json().catch(() => null)) as { ok?: boolean; error?: { code: string } } | null,
  };
}

/** The newest still-open confirmation in the thread. */
async function waitConfirmation(after: number): Promise<string> {
  let id = "";
  await slack.waitFor(
    () => {
      const m = all()
        .slice(after)
        .find((x) => blocksOf(x).includes("clawops_approve"));
      const value = /"value":"(cf_[^"]+)"/.exec(m ? blocksOf(m) : "")?.[1];
      if (value) id = value;
      return !!value;
    },
    90_000,
    "the restart confirmation",
  );
  return id;
}

async function waitRunEnd(after: number): Promise<StoredMessage> {
  let end: StoredMessage | undefined;
  await slack.waitFor(
    () => {
      end = all()
        .slice(after)
        .find((m) => /^(Recovered|Recovery stopped:) /.test(m.text));
      return !!end;
    },
    150_000,
    "the end of the recovery run",
  );
  if (!end) throw new Error("no end");
  if (end.text.startsWith("Recovered")) {
    // The run's last word comes after the unfreeze; only then may the host's next run start.
    await slack.waitFor(
      () =>
        all()
          .slice(after)
          .some((m) => /node-3 recovered in \d+ s/.test(m.text)),
      30_000,
      "the run's closing message",
    );
  }
  return end;
}

beforeAll(async () => {
  gw = await RealGateway.create(await ensureOpenclaw());
  await gw.start({ extraArgs: ["--token", driftToken] });
  workDir = mkdtempSync(join(tmpdir(), "clawops-recover-"));
  const authzFile = join(workDir, "authz.json");
  writeFileSync(
    authzFile,
    JSON.stringify({
      actions: {
        recover: { users: [OWNER, OTHER] },
        restart: { users: [OWNER, OTHER] },
        freeze: { users: [OWNER, OTHER] },
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
  const env = { ...process.env, ...gw.env, CLAWOPS_OPENCLAW_BIN: gw.install.openclawBin };
  agentDir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env });
  writeFileSync(join(agentDir, "policy.json"), JSON.stringify({ allow: ["gateway.restart"] }));
  agent = runAgent({ dir: agentDir, env });
  await waitHostOnline(cp.url, SECRET, HOST, { describe: () => agent.log() });
}, 180_000);

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  await slack?.stop();
  for (const pid of gw ? await ownerPids() : []) {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        process.kill(-pid, signal);
      } catch {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, signal === "SIGTERM" ? 3_000 : 200));
    }
  }
  await gw?.dispose();
  for (const d of [agentDir, workDir, cp?.dataDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("/openclaw recover on a real gateway", () => {
  it("recovers a gateway with token drift; another user's recover and forged presses change nothing", async () => {
    const [oldPid] = await ownerPids();
    const before = all().length;
    expect((await slash(OWNER, `recover ${HOST}`)).body.text).toContain(`Recovery of ${HOST} started`);
    const id = await waitConfirmation(before);

    // The host is frozen by OWNER now: OTHER cannot start a second recovery.
    const second = await slash(OTHER, `recover ${HOST}`);
    expect(JSON.stringify(second.body)).toContain("Only the freeze owner or an incident lead");
    // Forged signature, stale timestamp, a user who does not own the freeze: nothing happens.
    const body = pressBody(OWNER, id);
    expect((await press(OWNER, id, signSlack("wrong-secret", body))).status).toBe(401);
    expect((await press(OWNER, id, signSlack(SECRET, body, Math.floor(Date.now() / 1000) - 900))).status).toBe(401);
    expect((await press(OTHER, id)).body).toMatchObject({ ok: false, error: { code: "host_frozen" } });
    expect(await ownerPids()).toEqual([oldPid]);

    expect((await press(OWNER, id)).body).toEqual({ ok: true });
    const end = await waitRunEnd(before);
    expect(end.text, blocksOf(end)).toMatch(/^Recovered node-3 \(6\/6 steps ok\)/);
    expect(blocksOf(end)).toContain("read `status` ok, write `sessions.create` ok");
    const [newPid] = await ownerPids();
    expect(newPid).not.toBe(oldPid);
    expect((await slash(OWNER, "status")).body.text).toBe("No active freezes.");
    expect(JSON.stringify(all())).not.toContain(driftToken);
    expect(JSON.stringify(all())).not.toContain(gw.token);
    expect(slack.violations).toEqual([]);
  });

  it("recovers a healthy gateway too", async () => {
    const before = all().length;
    await slash(OWNER, `recover ${HOST}`);
    const id = await waitConfirmation(before);
    expect((await press(OWNER, id)).body).toEqual({ ok: true });
    const end = await waitRunEnd(before);
    expect(end.text, blocksOf(end)).toMatch(/^Recovered node-3 \(6\/6 steps ok\)/);
  });

  it("approve once drained: the run waits for a cron job that is about to run, then restarts", async () => {
    const openclaw = (args: string[]) =>
      promisify(execFile)(gw.install.openclawBin, args, { env: gw.env, timeout: 60_000 }).then((r) => r.stdout);
    await openclaw([
      "cron",
      "add",
      "--name",
      "clawops-drain-export",
      "--at",
      "75s",
      "--command-argv",
      JSON.stringify(["true"]),
      "--delete-after-run",
      "--json",
    ]);
    const before = all().length;
    await slash(OWNER, `recover ${HOST}`);
    const id = await waitConfirmation(before);
    const ask = all()
      .slice(before)
      .find((m) => blocksOf(m).includes(id));
    expect(blocksOf(ask as StoredMessage)).toContain("clawops_approve_drained");
    expect(blocksOf(ask as StoredMessage)).toContain("clawops-drain-export");
    const [pid] = await ownerPids();
    expect((await press(OWNER, id, undefined, "clawops_approve_drained")).body).toEqual({ ok: true });
    // While the job is due, the gateway is left alone.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await ownerPids()).toEqual([pid]);
    const end = await waitRunEnd(before);
    expect(end.text, blocksOf(end)).toMatch(/^Recovered node-3 \(6\/6 steps ok\)/);
    expect(await ownerPids()).not.toEqual([pid]);
    const audit = (await slash(OWNER, `audit ${HOST}`)).body;
    expect(JSON.stringify(audit)).toContain("approved once drained gateway.restart");
    expect(JSON.stringify(audit)).toMatch(/drained after \d+ s/);
    // The job ran before the restart and removed itself.
    expect(await openclaw(["cron", "list", "--json"])).not.toContain("clawops-drain-export");
  }, 240_000);

  it("stops, keeps the freeze and leaves the gateway untouched when the agent's policy refuses the restart", async () => {
    unlinkSync(join(agentDir, "policy.json"));
    const [pid] = await ownerPids();
    const before = all().length;
    const uploadsBefore = slack.uploads.size;
    await slash(OWNER, `recover ${HOST}`);
    const id = await waitConfirmation(before);
    expect((await press(OWNER, id)).body).toEqual({ ok: true });
    const end = await waitRunEnd(before);
    expect(end.text).toMatch(/^Recovery stopped: node-3/);
    expect(blocksOf(end)).toContain("local policy");
    expect(await ownerPids()).toEqual([pid]);
    const stopped = all()
      .slice(before)
      .find((m) => m.text.includes("Recovery of node-3 stopped"));
    expect(stopped?.text).toContain("roll the config back");
    expect(stopped?.text).toContain("repro bundle");
    // The failed run collects its own repro bundle into the same thread (issue 5).
    const upload = await slack.waitForUpload(uploadsBefore, 120_000, "the failed run's repro bundle upload");
    expect(upload?.completed?.threadTs).toBe(stopped?.threadTs);
    expect(upload?.filename).toMatch(/\.zip$/);
    expect((await slash(OWNER, "status")).body.text).toBe("1 active freeze(s)");
  }, 240_000);
});
