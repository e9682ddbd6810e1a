import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApprovalKey } from "../../src/contract/approval.ts";
import type { IncomingAlert } from "../../src/core/alerts/payloads.ts";
import { receiveAlerts } from "../../src/core/alerts/receive.ts";
import { handleCommand } from "../../src/core/commands/handle.ts";
import { recordThreadEvent, type ThreadEvent } from "../../src/core/incidents/team-messages.ts";
import { handle } from "../../src/core/router/handle.ts";
import { postmortemOf } from "../../src/core/tickets/draft.ts";
import { gatewayDownData, healthyData, tokenDriftData, toResults, triageResults } from "../support/evidence.ts";
import { bundleCollect, CHANNEL, type IncidentLab, incidentLab, LEAD, STRANGER, T0 } from "../support/incident-lab.ts";
import { acceptancePassed, inflightIdle, restartedBy } from "../support/runbook-answers.ts";
import { JiraStandIn } from "../support/ticket-standins.ts";

/**
 * The postmortem draft (issue 29, item 8) of one incident run end to end on the real code: an
 * Alertmanager alert raises it and its triage finds token drift behind a green /healthz; the
 * lead takes it, collects a bundle, runs the recover runbook and approves its restart with the
 * button; a triage finds the gateway healthy; the lead resolves it. The draft is compared with a
 * golden file (written from the record alone: the same record, the same Markdown), then posted
 * to the thread as a file (Slack), shown in the thread (the console), and attached to the ticket.
 */
const MIN = 60_000;
let jira: JiraStandIn;
beforeAll(async () => {
  jira = new JiraStandIn("oncall@example.com", "jira-token-abc");
  await jira.start();
});
afterAll(() => jira.stop());

/** The record of a token-drift incident, run through the real pipeline, runbook and buttons. */
async function tokenDriftIncident(l: IncidentLab) {
  l.transport.addHost("node-3", {
    results: [
      ...triageResults(tokenDriftData()),
      bundleCollect("2026-11-25T09:03:00.000Z", [
        { at: "2026-11-25T08:41:12.000Z", kind: "upgrade", detail: "2026.9.5 → 2026.9.6" },
        { at: "2026-11-25T08:52:40.000Z", kind: "token-rotation", detail: "gateway auth changed" },
        { at: "2026-11-25T08:59:58.000Z", kind: "close", detail: "gateway closed (1008)" },
      ]),
    ],
  });
  const alert: IncomingAlert = {
    source: "alertmanager",
    status: "firing",
    name: "OpenClawClientsRefused",
    summary: "clients of node-3 are refused (1008)",
    link: null,
    identity: "fp-node-3@2026-11-25T08:58:40Z",
    labels: { host: "node-3" },
    // Alertmanager's startsAt: the impact window starts here, not at detection (issue 41).
    startedAt: Date.parse("2026-11-25T08:58:40.000Z"),
  };
  const receipt = await receiveAlerts(l.deps, [alert], { hostLabels: ["host"] });
  await receipt.later?.();
  const incident = await l.store.findOpenIncident("node-3");
  if (!incident) throw new Error("no incident");
  l.advance(2 * MIN);
  await l.command(LEAD, `incident ${incident.id} ack`);
  await teamTalk(l, incident.threadTs ?? "");
  l.advance(10_000);
  await l.command(LEAD, "bundle node-3");
  l.advance(2 * MIN);

  // The recover runbook, on a gateway that answers its steps; its restart approved with the button.
  l.transport.addHost("node-3", {
    results: [...toResults(healthyData()), inflightIdle(), restartedBy(LEAD), acceptancePassed()],
  });
  const recover = await handleCommand(l.deps, {
    text: "recover node-3",
    user: LEAD,
    channel: CHANNEL,
    requestKey: "req-recover",
    source: "slack",
  });
  expect(recover.error).toBeUndefined();
  const run = recover.later?.();
  let confirmation = "";
  for (let i = 0; i < 400 && !confirmation; i++) {
    await new Promise((r) => setTimeout(r, 10));
    const asked = l.chat.posted.find((m) => JSON.stringify(m.parts).includes("clawops_approve"));
    confirmation = /"value":"(cf_[^"]+)"/.exec(JSON.stringify(asked?.parts ?? []))?.[1] ?? "";
  }
  expect(confirmation).not.toBe("");
  // A stranger's press is refused (and recorded); the lead's approves.
  await handle(l.deps, {
    kind: "approval",
    press: {
      confirmationId: confirmation,
      decision: "approve",
      actor: { user: STRANGER, channel: CHANNEL, source: "slack" },
    },
  });
  const approved = await handle(l.deps, {
    kind: "approval",
    press: {
      confirmationId: confirmation,
      decision: "approve",
      actor: { user: LEAD, channel: CHANNEL, source: "slack" },
    },
  });
  expect(approved.error).toBeUndefined();
  await run;
  l.advance(5 * MIN);
  l.transport.addHost("node-3", { results: triageResults(healthyData()) });
  await l.command(LEAD, "triage node-3");
  l.advance(2 * MIN);
  await l.command(LEAD, `incident ${incident.id} resolve`);
  return incident;
}

/**
 * What the team writes in the thread (issue 41, item 3), as the Events API route hands it to the
 * core: a reply edited, a secret pasted (scrubbed), a reply deleted, and a decision marked 📌.
 */
async function teamTalk(l: IncidentLab, threadTs: string) {
  const ts = (ms: number) => `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, "0")}`;
  let n = 0;
  const send = (event: ThreadEvent) => recordThreadEvent(l.deps, { key: `T0001:Ev${++n}` }, event);
  /** Said now, on the lab's clock; its ts (the message's identity) is that moment. */
  const say = async (user: string, text: string) => {
    l.advance(10_000);
    const at = ts(l.now());
    await send({ kind: "message", channel: CHANNEL, ts: at, threadTs, user, text });
    return at;
  };
  const first = await say(LEAD, "clients get 1008 since 08:58, healthz is green");
  await send({
    kind: "edited",
    channel: CHANNEL,
    ts: first,
    text: "clients get 1008 since 08:58 while `/healthz` is green",
  });
  await say(SRE, "the service env has token=9f8e7d6c5b4a39281706f5e4d3c2b1a0, config differs");
  const wrong = await say(SRE, "ignore that, wrong host");
  await send({ kind: "deleted", channel: CHANNEL, ts: wrong });
  const decision = await say(LEAD, "decided: we restart through the recover runbook, no env edits by hand");
  l.advance(10_000);
  await send({ kind: "pin", channel: CHANNEL, ts: decision, user: SRE, added: true });
}
const SRE = "U0SRE";

describe("the postmortem draft", () => {
  it("reads as what happened, the same every time (golden), and goes to the thread as a file", async () => {
    const l = await incidentLab({
      approvalKey: (await generateApprovalKey()).pair,
      tickets: { jira: { baseUrl: jira.url, email: "oncall@example.com", apiToken: "jira-token-abc", project: "OPS" } },
    });
    const incident = await tokenDriftIncident(l);
    const { filename, markdown } = await postmortemOf(l.deps, incident.id);
    expect(filename).toBe(`postmortem-${incident.id}.md`);
    await expect(markdown).toMatchFileSnapshot("golden/postmortem.golden.md");
    // The same record, the same draft: nothing in it comes from the clock or chance.
    l.advance(3 * 86_400_000);
    expect((await postmortemOf(l.deps, incident.id)).markdown).toBe(markdown);

    // What an operator reads first: what lied, what caused it, who approved what, what changed.
    expect(markdown).toMatch(/## What the false green was\n\n[^\n]*\n\n- \*\*Token drift[^\n]*\/healthz answered 200/);
    expect(markdown).toContain("Approved mutating steps: `gateway.restart` on node-3 by U0LEAD.");
    expect(markdown).toContain("2026-11-25 08:41:12 UTC upgrade: 2026.9.5 → 2026.9.6");
    expect(markdown).not.toContain("gateway closed (1008)\n- ");
    expect(markdown).toContain("To fill in:");
    // What the team said (issue 41): the 📌 decision, the impact from the alert's startsAt, a
    // deleted message's words and a pasted secret nowhere, no Markdown escape of a code span.
    expect(markdown).toMatch(
      /## Key moments and decisions\n\n- 2026-11-25 09:02:40 UTC @U0LEAD: decided: [^\n]*\(marked by @U0SRE\)/,
    );
    expect(markdown).toContain("| Earliest evidence | 2026-11-25 08:58:40 UTC |");
    expect(markdown).not.toContain("wrong host");
    expect(markdown).not.toContain("9f8e7d6c5b4a39281706f5e4d3c2b1a0");
    expect(markdown).not.toContain("\\`");

    // `/openclaw postmortem <id>`: the file in the thread, and the record says who drafted it.
    const reply = await l.command(LEAD, `postmortem ${incident.id}`);
    expect(reply.error).toBeUndefined();
    const upload = l.chat.uploads.at(-1);
    expect(upload).toMatchObject({ channel: CHANNEL, threadTs: incident.threadTs, filename });
    expect(new TextDecoder().decode(upload?.bytes)).toBe(markdown);
    const timeline = await l.store.incidentTimeline(incident.id);
    expect(timeline.at(-1)).toMatchObject({ kind: "postmortem", actor: LEAD });

    // Attached to the incident's ticket.
    await l.command(LEAD, `ticket ${incident.id} new jira`);
    const key = jira.issues.at(-1)?.key;
    await l.command(LEAD, `postmortem ${incident.id} --ticket`);
    const attachment = jira.attachments.filter((a) => a.issueKey === key).at(-1);
    expect(attachment).toMatchObject({ filename, contentType: "text/markdown" });
    expect(attachment?.bytes.toString("utf8")).toContain("# Postmortem draft");
    expect(jira.violations).toEqual([]);
  });

  it("the console, which takes no files, shows it in the thread; unknown ids and --ticket without a ticket are refused", async () => {
    const l = await incidentLab({ noUploads: true, hosts: { "node-3": triageResults(tokenDriftData()) } });
    await l.command(LEAD, "triage node-3");
    const incident = await l.store.findOpenIncident("node-3");
    const reply = await l.command(STRANGER, `postmortem ${incident?.id}`);
    expect(reply.error).toBeUndefined();
    const shown = l.chat.posted.at(-1);
    expect(shown?.threadTs).toBe(incident?.threadTs);
    expect(shown?.text).toContain("Postmortem draft");
    expect(JSON.stringify(shown?.parts)).toContain("What the false green was");

    expect((await l.command(LEAD, "postmortem inc_missing")).error?.code).toBe("unknown_incident");
    expect((await l.command(LEAD, `postmortem ${incident?.id} --ticket`)).error?.code).toBe("ticket_not_configured");
    expect((await l.command(STRANGER, `postmortem ${incident?.id} --ticket`)).error?.code).toBe("forbidden");
    expect(T0).toBeLessThan(l.now() + 1);
  });

  it("starts the impact window at the stopped gateway's last log line, within the day before detection (issue 41)", async () => {
    const drafted = async (newestAt: string) => {
      const data = gatewayDownData();
      data.logs = { ...data.logs, newestAt };
      const l = await incidentLab({ hosts: { "node-5": triageResults(data) } });
      await l.command(LEAD, "triage node-5");
      const incident = await l.store.findOpenIncident("node-5");
      if (!incident) throw new Error("no incident");
      return (await postmortemOf(l.deps, incident.id)).markdown;
    };
    // The gateway wrote its last line 50 s before the triage found it not running.
    const markdown = await drafted("2026-11-25T08:59:10.004+00:00");
    expect(markdown).toMatch(
      /\| Earliest evidence \| 2026-11-25 08:59:10 UTC \| the gateway's own log ends here \(triage job_\d+ found it not running\) \|\n\| First signal \| 2026-11-25 09:00:00 UTC/,
    );
    // A log that ended two days before says nothing about this stop.
    expect(await drafted("2026-11-23T08:59:10.004+00:00")).not.toContain("Earliest evidence");
  });
});
