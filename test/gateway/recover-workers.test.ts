import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadApprovalPin } from "../../src/agent/policy.ts";
import { generateApprovalKey } from "../../src/contract/approval.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { RealGateway } from "../support/gateway/gateway.ts";
import { ensureOpenclaw } from "../support/gateway/install.ts";
import { freeLoopbackPort, type LocalWorker, startLocalWorker } from "../support/local-worker.ts";
import {
  allSettledOrThrow,
  blocksOf,
  gatewayOwnerPids,
  killGatewayOwners,
  RecoverSession,
} from "../support/recover-run.ts";
import { signSlack, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * `/openclaw recover` on the Workers runtime, on a real gateway: wrangler.toml's Worker run by
 * workerd, each run a Workflow instance, the host's agent socket in its Durable Object, the
 * restart approved with a signature from the CLAWOPS_APPROVAL_KEY secret that the agent pinned
 * when it enrolled through the Worker. Slack is the stand-in; presses and commands are really
 * signed. A dedicated gateway (started with token drift) is restarted, never the shared one.
 */
const SECRET = "test-signing-secret-recover-workers-0123";
const BOT_TOKEN = "xoxb-0000-test-bot-token-recover-workers";
const ADMIN_TOKEN = "recover-workers-admin-token-2f8e4c1a";
const LINK_SECRET = "recover-workers-link-secret-8d2b6f0c4e1a9375";
const HOST = "wk-gw-1";
const OWNER = "U0OWNER";
const OTHER = "U0OTHER";
const CHANNEL = "C0WKRECOVER";
const driftToken = `drift-${randomBytes(12).toString("hex")}`;

let gw: RealGateway;
let slack: SlackStandIn;
let worker: LocalWorker;
let url: string;
let vars: Record<string, string>;
let workerPort: number;
let stateDir: string;
let agent: AgentProcess;
let agentDir: string;
let approvalJwk: JsonWebKey;
let run: RecoverSession;

const ownerPids = () => gatewayOwnerPids(gw.port);

async function startWorker(): Promise<void> {
  ({ worker, url } = await startLocalWorker({ port: workerPort, persist: stateDir, vars }));
}

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), "clawops-recover-workers-"));
  // The gateway starts (15–40 s) while workerd comes up and the agent enrolls (they need only
  // the lab's env); the agent runs once the gateway is up.
  const created = ensureOpenclaw().then(async (install) => (gw = await RealGateway.create(install)));
  const started = created.then((g) => g.start({ extraArgs: ["--token", driftToken] }));
  const agentUp = (async () => {
    slack = new SlackStandIn(BOT_TOKEN);
    const apiUrl = await slack.start();
    approvalJwk = (await generateApprovalKey()).privateJwk;
    workerPort = await freeLoopbackPort();
    vars = {
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: apiUrl,
      CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
      CLAWOPS_LINK_SECRET: LINK_SECRET,
      CLAWOPS_APPROVAL_KEY: JSON.stringify(approvalJwk),
      // The runbook's jobs alone on the agent: no watch probes beside them.
      CLAWOPS_WATCH_INTERVAL_S: "0",
      CLAWOPS_AUTHZ: JSON.stringify({
        actions: {
          recover: { users: [OWNER, OTHER] },
          restart: { users: [OWNER, OTHER] },
          freeze: { users: [OWNER, OTHER] },
          unfreeze: { users: [OWNER] },
        },
      }),
      AGENT_HEARTBEAT_MS: "60000",
    };
    await startWorker();
    const issued = await fetch(`${url}/api/admin/enrollment-codes`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ host: HOST }),
    });
    const { code } = (await issued.json()) as { code: string };
    const g = await created;
    const env = { ...process.env, ...g.env, CLAWOPS_OPENCLAW_BIN: g.install.openclawBin };
    agentDir = await enrollAgent({ server: url, host: HOST, code, env });
    writeFileSync(join(agentDir, "policy.json"), JSON.stringify({ allow: ["gateway.restart"] }));
    // The agent's doctor cache is keyed by the state folder's shape too, which the gateway's
    // first start changes: started before, its first `doctor --lint` would be spent for nothing.
    await started;
    const a = runAgent({ dir: agentDir, env });
    agent = a;
    run = new RecoverSession({ url, secret: SECRET, channel: CHANNEL, host: HOST, slack });
    await waitHostOnline(url, SECRET, HOST, { describe: () => a.log() });
  })();
  await allSettledOrThrow([started, agentUp]);
}, 240_000);

afterAll(async () => {
  await agent?.kill();
  await worker?.dispose();
  await slack?.stop();
  if (gw) await killGatewayOwners(gw.port);
  await gw?.dispose();
  for (const d of [agentDir, stateDir]) if (d) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe("/openclaw recover on Workers (a Workflow per run) against a real gateway", () => {
  it("enrolling through the Worker pins the public half of CLAWOPS_APPROVAL_KEY", () => {
    expect(loadApprovalPin(agentDir)).toBe(approvalJwk.x);
  });

  // One run proves both: the drift repaired through a Workflow instance, and that instance,
  // waiting for its confirmation, resumed from its recorded steps after a restart of workerd (a
  // second run on the then healthy gateway did that alone before).
  it("recovers a gateway with token drift, the run waiting for its confirmation across a restart of workerd; a second run, another user's recover and forged presses change nothing", async () => {
    const [oldPid] = await ownerPids();
    const before = run.all().length;
    const started = await run.slash(OWNER, `recover ${HOST}`);
    expect(started.body.text).toContain(`Recovery of ${HOST} started`);
    const id = await run.waitConfirmation(before);

    // One run per host, held in the host's object while the Workflow runs.
    expect(JSON.stringify((await run.slash(OWNER, `recover ${HOST}`)).body)).toContain("recover_running");
    expect(JSON.stringify((await run.slash(OTHER, `recover ${HOST}`)).body)).toContain(
      "Only the freeze owner or an incident lead",
    );
    const body = run.pressBody(OWNER, id);
    expect((await run.press(OWNER, id, signSlack("wrong-secret", body))).status).toBe(401);
    expect((await run.press(OTHER, id)).body).toMatchObject({ ok: false, error: { code: "host_frozen" } });
    expect(await ownerPids()).toEqual([oldPid]);

    await worker.dispose();
    await startWorker();
    await waitHostOnline(url, SECRET, HOST, { describe: () => agent.log() });
    expect((await run.press(OWNER, id)).body).toEqual({ ok: true });
    const end = await run.waitRunEnd(before);
    expect(end.text, blocksOf(end)).toMatch(new RegExp(`^Recovered ${HOST} \\(6/6 steps ok\\)`));
    expect(blocksOf(end)).toContain("read `status` ok, write `sessions.create` ok");
    const [newPid] = await ownerPids();
    expect(newPid).not.toBe(oldPid);
    // Resumed from its recorded steps, not run again: one progress message, one confirmation.
    const posted = run.all().slice(before);
    expect(posted.filter((m) => m.text.includes(`gateway.restart on ${HOST}`))).toHaveLength(1);
    expect(posted.filter((m) => /^(Recovering|Recovered|Recovery stopped:) /.test(m.text))).toHaveLength(1);
    expect((await run.slash(OWNER, "status")).body.text).toBe("No active freezes.");
    const audit = JSON.stringify((await run.slash(OWNER, `audit ${HOST}`)).body);
    expect(audit).toContain("approved gateway.restart");
    expect(audit).toContain("recover.step6");
    const everything = JSON.stringify(slack.calls);
    for (const secret of [driftToken, gw.token, approvalJwk.d as string, ADMIN_TOKEN, LINK_SECRET]) {
      expect(everything).not.toContain(secret);
    }
    expect(slack.violations).toEqual([]);
  }, 240_000);

  it("cancel: the run stops, the freeze stays, the gateway is untouched, and the run's repro bundle lands in the thread", async () => {
    const [pid] = await ownerPids();
    const before = run.all().length;
    const uploadsBefore = slack.uploads.size;
    await run.slash(OWNER, `recover ${HOST}`);
    const id = await run.waitConfirmation(before);
    const cancel = await run.press(OWNER, id, undefined, "clawops_cancel");
    expect(cancel.body, `HTTP ${cancel.status}`).toEqual({ ok: true });
    const end = await run.waitRunEnd(before);
    expect(end.text).toMatch(new RegExp(`^Recovery stopped: ${HOST}`));
    expect(blocksOf(end)).toContain(`cancelled by <@${OWNER}>`);
    expect(await ownerPids()).toEqual([pid]);
    // The thread's "stopped" notice is posted beside the run's last message, not necessarily before it.
    const stoppedNotice = () =>
      run
        .all()
        .slice(before)
        .find((m) => m.text.includes(`Recovery of ${HOST} stopped`));
    await slack.waitFor(() => stoppedNotice() !== undefined, 30_000, "the thread's recovery-stopped notice");
    const stopped = stoppedNotice();
    expect(stopped?.text).toContain("the restart was cancelled");
    const upload = await slack.waitForUpload(uploadsBefore, 120_000, "the stopped run's repro bundle upload");
    expect(upload?.completed?.threadTs).toBe(stopped?.threadTs);
    expect((await run.slash(OWNER, "status")).body.text).toBe("1 active freeze(s)");
    // A pressed button is spent: pressing it again changes nothing.
    expect((await run.press(OWNER, id)).body).toMatchObject({ ok: false, error: { code: "already_used" } });
  }, 240_000);
});
