import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/core/ports/recovery.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { runCliProcess } from "../support/cli-process.ts";
import { until } from "../support/harness.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand, signSlack, slashCommandBody } from "../support/slack-signing.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";

/**
 * Freeze, unfreeze, status and audit through really signed slash commands, the Slack stand-in,
 * real SQLite and the real expiry timer, with an authorization file as an operator writes it.
 */
const SECRET = "test-signing-secret-freeze-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-freeze";
const OWNER = "U0OWNER";
const OTHER = "U0OTHER";
const LEAD = "U0LEAD";
const STRANGER = "U0STRANGER";
const INCIDENTS = "C0INCIDENT";
const ANNOUNCE = "C0ANNOUNCE";

let cp: ControlPlane;
let slack: SlackStandIn;
let dir: string;

const slash = (user: string, text: string, channel = INCIDENTS) =>
  postSlashCommand(cp.url, SECRET, { text, user_id: user, channel_id: channel });

let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "freeze",
    secret: SECRET,
    botToken: BOT_TOKEN,
    channel: INCIDENTS,
    authz: {
      incidentLeads: { users: [LEAD] },
      actions: {
        freeze: { users: [OWNER, OTHER, LEAD] },
        unfreeze: { users: [OWNER, OTHER, LEAD] },
        tag: { users: [LEAD] },
      },
    },
    announceChannels: [ANNOUNCE],
    freezeSweepMs: 50,
    hosts: ["node-3", "node-4"],
    config: { console: true },
  });
  ({ cp, slack, dir } = plane);
});

afterAll(() => plane?.close());

const allText = (m: { text: string; blocks: unknown[] }) => `${m.text}\n${JSON.stringify(m.blocks)}`;

async function auditLines(host?: string): Promise<AuditEntry[]> {
  const res = await fetch(`${cp.url}/api/console/audit.jsonl${host ? `?host=${host}` : ""}`, {
    headers: cp.consoleHeaders(),
  });
  expect(res.headers.get("content-type")).toContain("application/x-ndjson");
  const text = await res.text();
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

describe("freeze / unfreeze / status", () => {
  it("refuses a freeze from a user the authorization file does not allow, and audits the refusal", async () => {
    const { body } = await slash(STRANGER, "freeze node-3 gateway flapping");
    expect(JSON.stringify(body.blocks)).toContain("not allowed to `freeze`");
    expect(await cp.deps.recovery?.store.getFreeze("node-3")).toBeNull();
    const refused = (await auditLines("node-3")).filter((e) => e.actor === STRANGER);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ action: "command", outcome: "refused", source: "slack" });
    expect(refused[0]?.detail).toContain("forbidden");
  });

  it("posts who/what/why/until/what-to-do in the incident thread and the announcement channel", async () => {
    const { body } = await slash(OWNER, "freeze node-3 for 45m token rotation went wrong <!channel>");
    expect(body.text).toContain("Froze node-3");
    await slack.waitFor(() => slack.topLevel(ANNOUNCE).length === 1, 5_000, "announcement");
    const [parent] = slack.topLevel(INCIDENTS);
    expect(parent?.text).toBe("Incident: OpenClaw gateway on node-3");
    const [inThread] = slack.thread(INCIDENTS, parent?.ts ?? "");
    const [announced] = slack.topLevel(ANNOUNCE);
    for (const notice of [inThread, announced]) {
      const text = allText(notice ?? { text: "", blocks: [] });
      expect(text).toContain(`<@${OWNER}>`);
      expect(text).toContain("node-3");
      expect(text).toContain("token rotation went wrong");
      expect(text).toContain("pause new sessions and batch jobs");
      // User text cannot ping the channel.
      expect(text).not.toContain("<!channel>");
    }
    // The notices are recorded once both are posted.
    const freeze = await until("recorded notices", 5_000, async () => {
      const f = await cp.deps.recovery?.store.getFreeze("node-3");
      return f?.notices.length === 2 ? f : null;
    });
    expect(freeze?.owner).toBe(OWNER);
    expect((freeze?.expiresAt ?? 0) - (freeze?.createdAt ?? 0)).toBe(45 * 60_000);
    expect(allText(inThread ?? { text: "", blocks: [] })).toContain(
      new Date(freeze?.expiresAt ?? 0).toISOString().slice(0, 16).replace("T", " "),
    );
    expect(freeze?.notices).toEqual([
      { channel: INCIDENTS, threadTs: parent?.ts },
      { channel: ANNOUNCE, threadTs: null },
    ]);
    expect(slack.violations).toEqual([]);

    const status = await slash(STRANGER, "status");
    expect(status.body.text).toBe("1 active freeze(s)");
    expect(JSON.stringify(status.body.blocks)).toContain("token rotation went wrong");
  });

  it("refuses another user's re-freeze and unfreeze with who froze it and why", async () => {
    const refreeze = await slash(OTHER, "freeze node-3 for 2h mine now");
    expect(refreeze.body.text).toContain("frozen by");
    expect(refreeze.body.text).toContain(OWNER);
    expect(refreeze.body.text).toContain("Only the freeze owner or an incident lead");
    const unfreeze = await slash(OTHER, "unfreeze node-3");
    expect(unfreeze.body.text).toContain("Only the freeze owner or an incident lead");
    expect((await cp.deps.recovery?.store.getFreeze("node-3"))?.owner).toBe(OWNER);
  });

  it("lets an incident lead lift it, with the all-clear where the freeze was announced", async () => {
    const [parent] = slack.topLevel(INCIDENTS);
    const { body } = await slash(LEAD, "unfreeze node-3");
    expect(body.text).toContain("Lifted the freeze of node-3");
    await slack.waitFor(() => slack.topLevel(ANNOUNCE).length === 2, 5_000, "all-clear");
    const thread = slack.thread(INCIDENTS, parent?.ts ?? "");
    expect(thread.at(-1)?.text).toContain("All clear: node-3 is no longer frozen");
    expect(slack.topLevel(ANNOUNCE).at(-1)?.text).toContain("All clear");
    expect(await cp.deps.recovery?.store.getFreeze("node-3")).toBeNull();
    expect((await slash(OWNER, "status")).body.text).toBe("No active freezes.");
  });

  it("expires a freeze on its own, with a notice, from the control plane's timer", async () => {
    await slash(OWNER, "freeze all for 1m fleet-wide upgrade");
    await slack.waitFor(() => slack.topLevel(ANNOUNCE).length === 3, 5_000, "fleet freeze notice");
    // A fleet freeze also covers node-4: another user's freeze of it is refused.
    expect((await slash(OTHER, "freeze node-4 testing")).body.text).toContain("the whole fleet");
    // Make the stored freeze due now rather than waiting a minute.
    const store = cp.deps.recovery?.store;
    const f = await store?.getFreeze("all");
    if (!store || !f) throw new Error("fleet freeze not stored");
    await store.putFreeze({ ...f, expiresAt: Date.now() - 1 });
    await slack.waitFor(() => slack.topLevel(ANNOUNCE).length === 4, 5_000, "expiry notice");
    expect(slack.topLevel(ANNOUNCE).at(-1)?.text).toContain("The freeze of The fleet expired");
    expect(await store.getFreeze("all")).toBeNull();
    expect((await auditLines("all")).some((e) => e.action === "freeze.expired" && e.actor === "system")).toBe(true);
  });

  it("shows a short audit summary in Slack and exports every entry as JSON lines", async () => {
    const summary = await slash(STRANGER, "audit node-3");
    expect(summary.body.text).toMatch(/^Last \d+ audit entries for node-3$/);
    expect(JSON.stringify(summary.body.blocks)).toContain("audit.jsonl");
    const all = await auditLines();
    const seqs = all.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const node3 = await auditLines("node-3");
    expect(node3.map((e) => `${e.actor} ${e.outcome}`)).toEqual([
      `${STRANGER} refused`,
      `${OWNER} ok`,
      `${OTHER} refused`,
      `${OTHER} refused`,
      `${LEAD} ok`,
      `${STRANGER} ok`,
    ]);
    // Nothing secret in the log: neither the bot token nor the signing secret.
    const raw = JSON.stringify(all);
    expect(raw).not.toContain(BOT_TOKEN);
    expect(raw).not.toContain(SECRET);
  });

  it("exports the same JSON lines from the clawops CLI, and summarises without --jsonl", async () => {
    const cli = (args: string[]) => runCliProcess(args, { server: cp.url, dataDir: dir });
    const before = await auditLines("node-3");
    const exported = await cli(["audit", "node-3", "--jsonl"]);
    expect(exported.code).toBe(0);
    expect(
      exported.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    ).toEqual(before);
    const summary = await cli(["audit", "node-3"]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toContain("Audit log for node-3");
    expect(summary.stdout).toContain("unfreeze node-3");
  });

  it("keeps the audit table append-only in SQLite itself", () => {
    expect(() => cp.store.db.exec("UPDATE audit_log SET detail = 'x'")).toThrow(/append-only/);
    expect(() => cp.store.db.exec("DELETE FROM audit_log")).toThrow(/append-only/);
  });
});

describe("a validly signed request replayed within Slack's five minutes does its work once", () => {
  it("a freeze replayed five times posts one notice and one audit row; a tag replay changes nothing either", async () => {
    const body = slashCommandBody({
      text: "freeze node-4 for 10m replay drill",
      user_id: OWNER,
      channel_id: INCIDENTS,
    });
    const headers = signSlack(SECRET, body);
    const announcedBefore = slack.topLevel(ANNOUNCE).length;
    const auditBefore = (await auditLines("node-4")).length;
    const replies: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers, body });
      expect(res.status).toBe(200);
      replies.push(((await res.json()) as { text: string }).text);
    }
    expect(replies[0]).toContain("Froze node-4");
    for (const r of replies.slice(1)) expect(r).toContain("received already");
    await slack.waitFor(() => slack.topLevel(ANNOUNCE).length === announcedBefore + 1, 5_000, "one announcement");
    await new Promise((r) => setTimeout(r, 300));
    expect(slack.topLevel(ANNOUNCE).length).toBe(announcedBefore + 1);
    const audit = (await auditLines("node-4")).slice(auditBefore);
    expect(audit.filter((e) => e.action === "command")).toHaveLength(1);

    const tag = slashCommandBody({ text: "tag node-4 prod", user_id: LEAD, channel_id: INCIDENTS });
    const tagHeaders = signSlack(SECRET, tag);
    const first = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: tagHeaders, body: tag });
    expect(((await first.json()) as { text: string }).text).toContain("Tags of node-4");
    await cp.deps.store.setHostTags?.("node-4", ["staging"]);
    const replay = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: tagHeaders, body: tag });
    expect(((await replay.json()) as { text: string }).text).toContain("received already");
    expect((await cp.deps.store.getHost("node-4"))?.tags).toEqual(["staging"]);
    await postSlashCommand(cp.url, SECRET, { text: "unfreeze node-4", user_id: OWNER, channel_id: INCIDENTS });
  });
});

describe("tag is authorized like every command that changes what the fleet commands reach", () => {
  it("a user the authorization file does not allow cannot retag a host, and the refusal is audited", async () => {
    await cp.deps.store.setHostTags?.("node-3", ["prod"]);
    const { body } = await slash(STRANGER, "tag node-3 staging");
    expect(JSON.stringify(body.blocks)).toContain("not allowed to `tag`");
    expect((await cp.deps.store.getHost("node-3"))?.tags).toEqual(["prod"]);
    const refused = (await auditLines("node-3")).filter((e) => e.actor === STRANGER && e.detail.includes("tag"));
    expect(refused.at(-1)).toMatchObject({ outcome: "refused" });
  });
});
