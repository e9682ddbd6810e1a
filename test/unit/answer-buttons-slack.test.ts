import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { AuditEntry } from "../../src/core/ports/recovery.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { newSimIdentity, type SimAgentSpec, SimAgents, type SimProfile } from "../support/sim-agents.ts";
import { blockActionsBody, type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { signSlack } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";

/**
 * Buttons on answers, pressed through really signed Slack interaction payloads: each press
 * is the presser's command (authorized, audited with the presser, once per press), its ack
 * reaches the presser at the interaction's response_url, and a forged press or a crafted
 * value runs nothing.
 */
const OWNER = "U0OWNER";
const OTHER = "U0OTHER";
const STRANGER = "U0STRANGER";
const CHANNEL = "C0INCIDENT";

let plane: SlackPlane;
let cp: ControlPlane;
let slack: SlackStandIn;
let sims: SimAgents;

interface SlackButton {
  action_id: string;
  value: string;
  text: { text: string };
  confirm?: unknown;
}

/** A block_actions payload as Slack sends it for a press on `button`, form-encoded. */
function interaction(user: string, button: SlackButton, responseUrl: string) {
  return blockActionsBody({
    user,
    channel: CHANNEL,
    actionId: button.action_id,
    value: button.value,
    blockId: "clawops_triage_actions",
    label: button.text.text,
    responseUrl,
  });
}

async function post(body: string, headers?: Record<string, string>) {
  return (await plane.press(body, headers)).status;
}

/** Presses `button` as `user`; resolves with what reached the press's response_url. */
async function press(user: string, button: SlackButton, opts: { replay?: { body: string; id: string } } = {}) {
  const id = opts.replay?.id ?? randomUUID();
  const body = opts.replay?.body ?? interaction(user, button, slack.responseUrl(id));
  const seen = slack.responses.filter((r) => r.path.includes(id)).length;
  expect(await post(body)).toBe(200);
  const mine = () => slack.responses.filter((r) => r.path.includes(id));
  await slack.waitFor(() => mine().length > seen, 10_000, `ack of ${button.value}`);
  const ack = mine()[seen]?.body ?? {};
  return { ack: String(ack.text ?? ""), body, id, ackBody: ack };
}

const audit = async (): Promise<AuditEntry[]> => (await cp.deps.recovery?.store.listAudit({ order: "asc" })) ?? [];

function buttonsOf(m: StoredMessage | undefined): SlackButton[] {
  return (m?.blocks ?? [])
    .filter((b) => b.type === "actions")
    .flatMap((b) => (b.elements as SlackButton[]).filter(Boolean));
}

/** The triage answers (final, with buttons) in the host's incident thread. */
function answers(host: string): StoredMessage[] {
  return [...slack.messages.values()].filter(
    (m) =>
      m.channel === CHANNEL && m.threadTs !== null && m.text.startsWith(`Triage ${host}:`) && buttonsOf(m).length > 0,
  );
}

async function enroll(host: string, profile: SimProfile): Promise<SimAgentSpec> {
  const id = newSimIdentity(host);
  const { code } = await issueEnrollmentCode(cp.deps, host);
  await enrollHost(cp.deps, { code, host, publicKey: id.publicKey });
  return { host, keyPem: id.keyPem, profile };
}

let answerButtons: SlackButton[] = [];
const button = (label: string) => {
  const b = answerButtons.find((x) => x.text.text === label);
  if (!b) throw new Error(`no ${label} button`);
  return b;
};

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "answer-buttons",
    channel: CHANNEL,
    authz: { actions: { freeze: { users: [OWNER] }, recover: { users: [OWNER] } } },
  });
  ({ cp, slack } = plane);
  const specs = [await enroll("node-3", "down"), await enroll("node-4", "healthy")];
  sims = new SimAgents(`${cp.url.replace("http", "ws")}/agent/connect`, specs);
  sims.start();
  await sims.whenAllConnected();
  // The first answer, from the slash command.
  const res = await plane.slash(OWNER, "triage node-3");
  expect(res.body.text).toContain("Triage of node-3 started");
  await slack.waitFor(() => answers("node-3").length === 1, 20_000, "the first triage answer");
  answerButtons = buttonsOf(answers("node-3")[0]);
}, 60_000);

afterAll(async () => {
  await sims?.stop();
  await plane?.close();
});

describe("buttons on a triage answer, pressed in Slack", () => {
  it("the final answer carries Run again, Collect bundle, Freeze 30 min and Start recovery, then its top finding's snoozes", () => {
    expect(answerButtons.map((b) => [b.text.text, b.value])).toEqual([
      ["Run again", "triage node-3"],
      ["Collect bundle", "bundle node-3"],
      ["Freeze 30 min", "freeze node-3 for 30m set with the Freeze 30 min button"],
      ["Start recovery", "recover node-3"],
      ["Snooze 1 h", "snooze node-3 gateway-down 1h"],
      ["Snooze 1 d", "snooze node-3 gateway-down 1d"],
      ["Snooze until version changes", "snooze node-3 gateway-down until-version"],
    ]);
    // The two that change something ask first, in Slack's own dialog.
    expect(button("Freeze 30 min").confirm).toBeDefined();
    expect(button("Start recovery").confirm).toBeDefined();
    expect(slack.violations).toEqual([]);
  });

  it("Run again: the presser's triage, acked to them, audited with them, answered in the same thread", async () => {
    const before = (await audit()).length;
    const { ack, ackBody } = await press(OTHER, button("Run again"));
    expect(ack).toContain("Triage of node-3 started");
    expect(ackBody.response_type).toBe("ephemeral");
    expect(ackBody.replace_original).toBe(false);
    const rows = (await audit()).slice(before);
    expect(rows).toEqual([
      expect.objectContaining({
        actor: OTHER,
        source: "slack",
        action: "command",
        host: "node-3",
        outcome: "ok",
        detail: "button: /openclaw triage node-3",
      }),
    ]);
    await slack.waitFor(() => answers("node-3").length === 2, 20_000, "the second triage answer");
    const [first, second] = answers("node-3");
    expect(second?.threadTs).toBe(first?.threadTs);
    const job = await cp.deps.store.getJob(rows[0]?.ref ?? "");
    expect(job?.user).toBe(OTHER);
  });

  it("a replayed press (same signed body) acts once", async () => {
    const b = button("Run again");
    const first = await press(OTHER, b);
    const count = (await audit()).length;
    const jobs = (await cp.deps.store.listJobs({ host: "node-3" })).length;
    const again = await press(OTHER, b, { replay: first });
    expect(again.ack).toContain("received already");
    expect((await audit()).length).toBe(count);
    expect((await cp.deps.store.listJobs({ host: "node-3" })).length).toBe(jobs);
  });

  it("Freeze 30 min: refused for a presser the authorization file does not allow, done for one it does", async () => {
    const store = cp.deps.recovery?.store;
    const before = (await audit()).length;
    const refused = await press(STRANGER, button("Freeze 30 min"));
    expect(refused.ack).toMatch(/not allowed|may not|not permitted/i);
    expect((await store?.listFreezes()) ?? []).toEqual([]);
    expect((await audit()).slice(before)).toEqual([
      expect.objectContaining({ actor: STRANGER, source: "slack", outcome: "refused", host: "node-3" }),
    ]);

    const done = await press(OWNER, button("Freeze 30 min"));
    expect(done.ack).toContain("Froze node-3");
    const freezes = (await store?.listFreezes()) ?? [];
    expect(freezes).toEqual([
      expect.objectContaining({ target: "node-3", owner: OWNER, reason: "set with the Freeze 30 min button" }),
    ]);
    const minutes = ((freezes[0]?.expiresAt ?? 0) - (freezes[0]?.createdAt ?? 0)) / 60_000;
    expect(minutes).toBe(30);
  });

  it("Start recovery: refused for a presser not allowed to recover", async () => {
    const before = (await audit()).length;
    const refused = await press(STRANGER, button("Start recovery"));
    expect(refused.ack).toMatch(/not allowed|may not|not permitted/i);
    expect((await audit()).slice(before)).toEqual([
      expect.objectContaining({
        actor: STRANGER,
        outcome: "refused",
        detail: expect.stringContaining("recover node-3"),
      }),
    ]);
  });

  it("Collect bundle: the presser's bundle job", async () => {
    const before = (await audit()).length;
    const { ack } = await press(OTHER, button("Collect bundle"));
    expect(ack).toMatch(/bundle/i);
    const rows = (await audit()).slice(before);
    expect(rows[0]).toEqual(
      expect.objectContaining({ actor: OTHER, outcome: "ok", detail: "button: /openclaw bundle node-3" }),
    );
    expect((await cp.deps.store.getJob(rows[0]?.ref ?? ""))?.kind).toBe("bundle");
  });
});

describe("presses that must run nothing", () => {
  const craft = (action_id: string, value: string): SlackButton => ({ action_id, value, text: { text: "x" } });

  it.each([
    ["another command", craft("clawops_run:triage:node-3", "enroll node-3")],
    ["extra words", craft("clawops_run:triage:node-3", "triage node-3 node-4")],
    ["a bad host", craft("clawops_run:triage:node-3", "triage ../etc")],
    ["upper-case host", craft("clawops_run:triage:NODE-3", "triage NODE-3")],
    ["another freeze", craft("clawops_run:freeze:node-3", "freeze all for 24h chaos")],
    ["action and value disagree", craft("clawops_run:triage:node-3", "recover node-3")],
    ["a newline", craft("clawops_run:triage:node-3", "triage node-3\nunfreeze all")],
  ])("a crafted value (%s) is refused and audited", async (_, b) => {
    const jobs = (await cp.deps.store.listJobs({})).length;
    const before = (await audit()).length;
    const { ack } = await press(OTHER, b);
    expect(ack).toContain("Nothing was run");
    expect((await cp.deps.store.listJobs({})).length).toBe(jobs);
    expect((await audit()).slice(before)).toEqual([
      expect.objectContaining({
        actor: OTHER,
        source: "slack",
        outcome: "refused",
        detail: expect.stringContaining("refused"),
      }),
    ]);
  });

  it("a forged or unsigned press is refused before anything runs", async () => {
    const body = interaction(OTHER, answerButtons[0] as SlackButton, slack.responseUrl(randomUUID()));
    const jobs = (await cp.deps.store.listJobs({})).length;
    const count = (await audit()).length;
    const responses = slack.responses.length;
    expect(await post(body, signSlack("not-the-secret", body))).toBe(401);
    expect(await post(body, { "content-type": "application/x-www-form-urlencoded" })).toBe(401);
    const stale = signSlack(plane.secret, body, Math.floor(Date.now() / 1000) - 3600);
    expect(await post(body, stale)).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect((await cp.deps.store.listJobs({})).length).toBe(jobs);
    expect((await audit()).length).toBe(count);
    expect(slack.responses.length).toBe(responses);
  });
});

describe("Triage buttons on the fleet matrix", () => {
  it("offers a Triage button for each failing host only, and a press triages it", async () => {
    await plane.slash(OTHER, "status all --live");
    const fleet = () => slack.topLevel(CHANNEL).find((m) => m.text.startsWith("Fleet status"));
    await slack.waitFor(() => fleet() !== undefined, 20_000, "the fleet matrix");
    const buttons = buttonsOf(fleet());
    expect(buttons.map((b) => [b.text.text, b.value])).toEqual([["Triage node-3", "triage node-3"]]);
    const before = answers("node-3").length;
    const { ack } = await press(OTHER, buttons[0] as SlackButton);
    expect(ack).toContain("Triage of node-3 started");
    await slack.waitFor(() => answers("node-3").length === before + 1, 20_000, "the triage from the matrix");
    expect(slack.violations).toEqual([]);
  });
});
