import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApprovalClaims, verifyApproval } from "../../src/contract/approval.ts";
import type { StepResult } from "../../src/contract/catalog.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { healthyData, toResults } from "../support/evidence.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { blockActionsBody, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * Step 4 of `/openclaw recover` when `doctor --lint` reports errors: a second confirmation, for
 * `doctor.fix`, before the restart's. The control plane, Slack endpoint and button presses are
 * real (signed); the host answers from a script (FakeHostTransport), because what is tested is
 * the runbook's flow and the approval it sends. `doctor.fix` itself runs for real in
 * test/gateway/doctor-fix.test.ts, the whole runbook in test/gateway/recover.test.ts.
 */
const SECRET = "test-signing-secret-runbook-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-runbook";
const OWNER = "U0OWNER";
const CHANNEL = "C0RUNBOOK";

let cp: ControlPlane;
let slack: SlackStandIn;
let pinned: string;
const fake = new FakeHostTransport();

function script(): StepResult[] {
  const d = healthyData();
  d.lint.findings = [
    ...(d.lint.findings ?? []),
    {
      checkId: "core/doctor/heartbeat-scratch-migration",
      severity: "error",
      message: 'Agent "main" HEARTBEAT.md cannot be migrated: ENOTDIR: not a directory',
    },
  ];
  // The healthy triage answers serve the snapshot (steps 2–4); the rest are the runbook's own steps.
  return [
    ...toResults(d),
    {
      step: "doctor.fix",
      status: "ok",
      durationMs: 21_000,
      data: {
        performed: true,
        approver: OWNER,
        command: ["openclaw", "doctor", "--repair", "--non-interactive"],
        exitCode: 0,
        timedOut: false,
        changes: ["Tightened permissions on /srv/openclaw/state to 700", "Disabled 1password"],
        configUpdated: { path: "/srv/openclaw/state/openclaw.json", backup: "/srv/openclaw/state/openclaw.json.bak" },
        configHashBefore: "aaaaaaaaaaaa",
        configHashAfter: "bbbbbbbbbbbb",
        lintAfter: { exitCode: 1, timedOut: false, findings: d.lint.findings?.filter((f) => f.severity !== "error") },
      },
    },
    {
      step: "gateway.inflight",
      status: "ok",
      durationMs: 300,
      data: { reachable: true, sessions: { count: 2 }, tasks: { total: 0, active: 0 }, cron: { jobs: 0, dueSoon: [] } },
    },
    {
      step: "gateway.restart",
      status: "ok",
      durationMs: 15_000,
      data: {
        performed: true,
        supervisor: "systemd",
        unit: "user unit openclaw-gateway.service",
        oldPid: 100,
        newPid: 200,
        command: ["systemctl", "--user", "restart", "openclaw-gateway.service"],
        exitedAfterMs: 900,
        readyAfterMs: 14_000,
        approver: OWNER,
      },
    },
    {
      step: "gateway.acceptance",
      status: "ok",
      durationMs: 400,
      data: {
        reachable: true,
        read: { method: "status", ok: true, ms: 20 },
        write: { method: "sessions.create", ok: true, ms: 30 },
        // The scratch session's delete timed out: the run still recovers, and says what is left.
        cleanup: {
          method: "sessions.delete",
          ok: false,
          ms: 12_000,
          error: "no answer to sessions.delete within 12000 ms",
        },
        passed: true,
      },
    },
  ];
}

const all = () => [...slack.messages.values()];
const blocksOf = (m: StoredMessage) => JSON.stringify(m.blocks);

async function press(id: string, actionId: string) {
  return (await plane.press(blockActionsBody({ user: OWNER, channel: CHANNEL, actionId, value: id }))).body;
}

/** The id of the next confirmation for `step` posted after message number `after`. */
async function confirmationFor(step: string, after: number): Promise<string> {
  let id = "";
  await slack.waitFor(
    () => {
      const m = all()
        .slice(after)
        .find((x) => x.text === `Confirm ${step} on node-7` && blocksOf(x).includes("clawops_approve"));
      id = /"value":"(cf_[^"]+)"/.exec(m ? blocksOf(m) : "")?.[1] ?? "";
      return id !== "";
    },
    10_000,
    `the ${step} confirmation`,
  );
  return id;
}

async function runEnd(after: number): Promise<StoredMessage> {
  let end: StoredMessage | undefined;
  await slack.waitFor(
    () => {
      end = all()
        .slice(after)
        .find((m) => /^(Recovered|Recovery stopped:) node-7/.test(m.text));
      return !!end;
    },
    10_000,
    "the end of the run",
  );
  return end as StoredMessage;
}

let plane: SlackPlane;

/** The run's closing message (why it stopped, the freeze as it is now), posted after message `after`. */
async function closingMessage(after: number): Promise<StoredMessage | undefined> {
  const closing = () =>
    all()
      .slice(after)
      .find((m) => m.text.startsWith("🧊 Recovery of node-7 stopped"));
  await slack.waitFor(() => !!closing(), 10_000, "the closing message");
  return closing();
}

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "runbook",
    secret: SECRET,
    botToken: BOT_TOKEN,
    channel: CHANNEL,
    authz: {
      actions: {
        recover: { users: [OWNER] },
        restart: { users: [OWNER] },
        "doctor.fix": { users: [OWNER] },
        freeze: { users: [OWNER] },
        unfreeze: { users: [OWNER] },
      },
    },
    hosts: ["node-7"],
    transport: fake,
  });
  ({ cp, slack, pinned } = plane);
  fake.addHost("node-7", { results: script() });
});

afterAll(() => plane?.close());

describe("recover step 4 with doctor errors", () => {
  it("asks to run doctor --repair, sends the agent an approval for doctor.fix only, then restarts and recovers", async () => {
    const before = all().length;
    await postSlashCommand(cp.url, SECRET, { text: "recover node-7", user_id: OWNER, channel_id: CHANNEL });
    const fixId = await confirmationFor("doctor.fix", before);
    // While it waits for a button: a second recover of the host is refused, and the host's job
    // queue is free (a triage of node-7 would not wait behind the run).
    const second = await postSlashCommand(cp.url, SECRET, {
      text: "recover node-7",
      user_id: OWNER,
      channel_id: CHANNEL,
    });
    expect(second.body.text).toMatch(/A recovery of node-7 is already running \(run `?rec_\w+`?\)/);
    expect(cp.deps.jobs.depth("node-7")).toBe(0);
    const ask = all().find((m) => blocksOf(m).includes(fixId));
    expect(blocksOf(ask as StoredMessage)).toContain("core/doctor/heartbeat-scratch-migration");
    expect(blocksOf(ask as StoredMessage)).not.toContain("clawops_approve_drained");
    expect(await press(fixId, "clawops_approve")).toEqual({ ok: true });
    const restartId = await confirmationFor("gateway.restart", before);
    // Nothing in flight: no "once drained" button.
    expect(blocksOf(all().find((m) => blocksOf(m).includes(restartId)) as StoredMessage)).not.toContain(
      "clawops_approve_drained",
    );
    expect(await press(restartId, "clawops_approve")).toEqual({ ok: true });
    const end = await runEnd(before);
    expect(end.text).toMatch(/^Recovered node-7 \(6\/6 steps ok\)/);
    expect(blocksOf(end)).toContain(
      "doctor --repair: 2 change(s) (Tightened permissions on /srv/openclaw/state to 700; Disabled 1password)",
    );
    expect(blocksOf(end)).toContain("config rewritten, backup /srv/openclaw/state/openclaw.json.bak");
    expect(blocksOf(end)).toContain("systemd (user unit openclaw-gateway.service): pid 100 exited");
    expect(blocksOf(end)).toContain(
      "write `sessions.create` ok; scratch session `clawops-acceptance-*` not deleted (no answer to sessions.delete within 12000 ms)",
    );
    // The run's last word (after the unfreeze): the host is free for the next run.
    await slack.waitFor(
      () =>
        all()
          .slice(before)
          .some((m) => /node-7 recovered in \d+ s/.test(m.text)),
      10_000,
      "the run's closing message",
    );

    const fixJob = fake.dispatched.find((d) => d.job.steps.some((s) => s.step === "doctor.fix"));
    const step = fixJob?.job.steps[0];
    const approval = step?.step === "doctor.fix" ? step.args.approval : "";
    const check = await verifyApproval(approval, {
      publicKey: pinned,
      host: "node-7",
      step: "doctor.fix",
      now: Date.now(),
      seenNonce: () => false,
    });
    expect(check.ok).toBe(true);
    expect((check as { claims: ApprovalClaims }).claims).toMatchObject({ approver: OWNER, host: "node-7" });
    const asRestart = await verifyApproval(approval, {
      publicKey: pinned,
      host: "node-7",
      step: "gateway.restart",
      now: Date.now(),
      seenNonce: () => false,
    });
    expect(asRestart).toEqual({ ok: false, reason: expect.stringContaining("for step doctor.fix") });
  });

  it("cancelling doctor --repair skips it and the run goes on to the restart confirmation", async () => {
    const before = all().length;
    const fixJobsBefore = fake.dispatched.filter((d) => d.job.steps.some((s) => s.step === "doctor.fix")).length;
    await postSlashCommand(cp.url, SECRET, { text: "recover node-7", user_id: OWNER, channel_id: CHANNEL });
    const fixId = await confirmationFor("doctor.fix", before);
    expect(await press(fixId, "clawops_cancel")).toEqual({ ok: true });
    const restartId = await confirmationFor("gateway.restart", before);
    expect(await press(restartId, "clawops_cancel")).toEqual({ ok: true });
    const end = await runEnd(before);
    expect(end.text).toMatch(/^Recovery stopped: node-7/);
    expect(blocksOf(end)).toContain("doctor --repair skipped (cancelled by <@U0OWNER>)");
    expect(fake.dispatched.filter((d) => d.job.steps.some((s) => s.step === "doctor.fix")).length).toBe(fixJobsBefore);
    // The run's freeze is still there, and the closing message says until when.
    const closing = await closingMessage(before);
    expect(closing?.text).toMatch(
      /\nThe freeze stays until you lift it \(\/openclaw unfreeze node-7\) or it expires at \d{4}-\d\d-\d\d \d\d:\d\d UTC\.\n/,
    );
    await postSlashCommand(cp.url, SECRET, { text: "unfreeze node-7", user_id: OWNER, channel_id: CHANNEL });
  });
});

describe("a freeze lifted while its recovery waits (issue 33, item 5)", () => {
  it("unfreeze says the run stops; the run stops before the restart and its last word reads the freeze as it is", async () => {
    const before = all().length;
    const restartsBefore = fake.dispatched.filter((d) => d.job.steps.some((s) => s.step === "gateway.restart")).length;
    // The run before may still be collecting its repro bundle, holding the host.
    await expect
      .poll(
        async () =>
          (await postSlashCommand(cp.url, SECRET, { text: "recover node-7", user_id: OWNER, channel_id: CHANNEL })).body
            .text,
        { timeout: 20_000, interval: 300 },
      )
      .not.toMatch(/already running/);
    expect(await press(await confirmationFor("doctor.fix", before), "clawops_cancel")).toEqual({ ok: true });
    const restartId = await confirmationFor("gateway.restart", before);

    const lifted = await postSlashCommand(cp.url, SECRET, {
      text: "unfreeze node-7",
      user_id: OWNER,
      channel_id: CHANNEL,
    });
    expect(lifted.body.text).toMatch(
      /^✅ Lifted the freeze of node-7; the all-clear goes where the freeze was announced\. Recovery run rec_\w+ is under way on node-7: without its freeze it stops before its next change \(a restart or doctor --repair\), and says so in its thread\./,
    );
    await slack.waitFor(
      () =>
        all()
          .slice(before)
          .some((m) => m.text.startsWith("⚠️ Recovery run")),
      10_000,
      "the thread told at once",
    );
    const status = await postSlashCommand(cp.url, SECRET, { text: "status", user_id: OWNER, channel_id: CHANNEL });
    expect(status.body.text).toContain("No active freezes");

    // The restart is approved afterwards: the approval is refused (no freeze) and the run stops.
    expect(await press(restartId, "clawops_approve")).toEqual({
      ok: false,
      error: { code: "not_frozen", message: "node-7 is not frozen; a mutating step needs an active freeze" },
    });
    const end = await runEnd(before);
    expect(end.text).toMatch(/^Recovery stopped: node-7/);
    expect(blocksOf(end)).toContain("its freeze was lifted");
    const closing = await closingMessage(before);
    expect(closing?.text).toContain(
      "stopped: the freeze of node-7 was lifted (or expired) while the run waited, and a restart needs the run's freeze: nothing was changed by it.",
    );
    expect(closing?.text).toContain(
      "\nnode-7 is not frozen any more: its freeze was lifted or expired (/openclaw status).\n",
    );
    expect(closing?.text).not.toContain("The freeze stays");
    expect(fake.dispatched.filter((d) => d.job.steps.some((s) => s.step === "gateway.restart")).length).toBe(
      restartsBefore,
    );
  });
});
