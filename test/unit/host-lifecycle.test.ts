import { sign } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type AgentIdentity, loadOrCreateIdentity } from "../../src/agent/identity.ts";
import { AgentCloseCode, signedHelloPayload } from "../../src/contract/agent-wire.ts";
import { toBase64Url } from "../../src/contract/encoding.ts";
import { enrollHost, issueEnrollmentCode } from "../../src/core/hub/enrollment.ts";
import type { AuditEntry } from "../../src/core/ports/recovery.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand } from "../support/slack-signing.ts";

/**
 * Host lifecycle through really signed slash commands against a real control plane (SQLite,
 * the agent hub, real `ws` sockets speaking the agent protocol): `hosts` paging and filters
 * over 121 hosts, `revoke` and `remove` with an authorization file as an operator writes it.
 */
const SECRET = "test-signing-secret-hosts-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-hosts";
const ADMIN = "U0ADMIN";
const STRANGER = "U0STRANGER";

let cp: ControlPlane;
let dir: string;
let identity: AgentIdentity;

const slash = async (user: string, text: string) => {
  const { status, body } = await postSlashCommand(cp.url, SECRET, { text, user_id: user });
  expect(status).toBe(200);
  return { text: body.text ?? "", blocks: (body.blocks ?? []) as Block[] };
};

interface Block {
  type: string;
  text?: { text: string };
  elements?: { text: string }[];
}
const blockTexts = (blocks: Block[]) =>
  blocks.flatMap((b) => [...(b.text ? [b.text.text] : []), ...(b.elements ?? []).map((e) => e.text)]);

/** The fleet: 121 hosts with long names (a line of the list is ~130 characters). */
const FLEET = Array.from(
  { length: 121 },
  (_, i) => `gw-eu-west-1-production-cluster-node-${String(i + 1).padStart(3, "0")}`,
);

let plane: SlackPlane;

beforeAll(async () => {
  plane = await startSlackPlane({
    name: "hosts",
    secret: SECRET,
    botToken: BOT_TOKEN,
    authz: { actions: { revoke: { users: [ADMIN] }, remove: { users: [ADMIN] } } },
    config: { console: true, heartbeatMs: 60_000 },
  });
  ({ cp, dir, identity } = plane);
  for (const host of FLEET) await enroll(host, identity);
  for (const [i, host] of FLEET.entries()) {
    if (i % 3 === 0) await cp.store.setHostTags(host, ["edge"]);
  }
});

afterAll(() => plane?.close());

async function enroll(host: string, id: AgentIdentity): Promise<void> {
  const { code } = await issueEnrollmentCode(cp.deps, host);
  await enrollHost(cp.deps, { code, host, publicKey: id.publicKey });
}

/** An agent connection speaking the protocol by hand: hello, then wait for welcome or close. */
async function connect(host: string, id: AgentIdentity) {
  const ws = new WebSocket(`${cp.url.replace("http", "ws")}/agent/connect`);
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.once("close", (code, reason) => r({ code, reason: reason.toString() })),
  );
  const challenge = await new Promise<{ nonce: string }>((resolve, reject) => {
    ws.once("message", (d) => resolve(JSON.parse(d.toString())));
    ws.once("error", reject);
  });
  const signature = toBase64Url(sign(null, Buffer.from(signedHelloPayload(host, challenge.nonce)), id.privateKey));
  ws.send(JSON.stringify({ type: "hello", protocol: 1, host, nonce: challenge.nonce, signature, agentVersion: "t" }));
  const first = await Promise.race([
    new Promise<string>((r) => ws.once("message", (d) => r(JSON.parse(d.toString()).type as string))),
    closed.then(() => "closed"),
  ]);
  return { ws, closed, welcomed: first === "welcome" };
}

async function auditFor(host: string): Promise<AuditEntry[]> {
  const res = await fetch(`${cp.url}/api/console/audit.jsonl?host=${host}`, { headers: cp.consoleHeaders() });
  return (await res.text())
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditEntry);
}

/** Every host line of a `hosts` answer: `*name* — state · …`, markup closed on the same line. */
function hostLines(blocks: Block[]): string[] {
  return blockTexts(blocks)
    .slice(1)
    .flatMap((t) => t.split("\n"))
    .filter((l) => / — /.test(l));
}

describe("/openclaw hosts over 121 hosts", () => {
  it("pages them whole: no block past Slack's limit, no unclosed markup, every host on exactly one page", async () => {
    const first = await slash(ADMIN, "hosts");
    const footer = blockTexts(first.blocks).at(-1) ?? "";
    const pages = Number(/Page 1 of (\d+)/.exec(footer)?.[1]);
    expect(pages).toBe(Math.ceil((await cp.store.listHosts()).length / 25));
    expect(footer).toContain("Next: `/openclaw hosts page 2`");
    const seen: string[] = [];
    for (let page = 1; page <= pages; page++) {
      const { blocks, text } = page === 1 ? first : await slash(ADMIN, `hosts page ${page}`);
      expect(text).toContain(`page ${page} of ${pages}`);
      for (const t of blockTexts(blocks)) {
        expect(t.length).toBeLessThanOrEqual(3000);
        expect(t).not.toContain("…");
        for (const line of t.split("\n")) expect((line.match(/\*/g) ?? []).length % 2, line).toBe(0);
        expect((t.match(/`/g) ?? []).length % 2, t).toBe(0);
      }
      const lines = hostLines(blocks);
      expect(lines.length).toBeLessThanOrEqual(25);
      for (const l of lines) expect(l).toMatch(/^\*[a-z0-9-]+\* — (🟢 online|⚫ offline|⛔ revoked) · agent /);
      seen.push(...lines.map((l) => /^\*([a-z0-9-]+)\*/.exec(l)?.[1] ?? ""));
    }
    expect(seen).toEqual((await cp.store.listHosts()).map((h) => h.name));
    expect(seen).toEqual(expect.arrayContaining(FLEET));
  });

  it("filters by glob, tag and state, and says which page of the match it shows", async () => {
    const glob = await slash(ADMIN, "hosts *-node-1??");
    expect(blockTexts(glob.blocks)[0]).toContain("*Enrolled hosts matching `*-node-1??`* (22 of");
    expect(hostLines(glob.blocks).map((l) => l.slice(1, l.indexOf("*", 1)))).toEqual(FLEET.slice(99));
    // One page only: no footer.
    expect(blockTexts(glob.blocks).at(-1)).not.toContain("Page");
    const tag = await slash(ADMIN, "hosts tag:edge");
    expect(blockTexts(tag.blocks)[0]).toContain("(41 of");
    expect(blockTexts(tag.blocks).at(-1)).toContain(
      "Page 1 of 2 (hosts 1–25 of 41). Next: `/openclaw hosts tag:edge page 2`",
    );
    const online = await slash(ADMIN, "hosts state:online");
    expect(online.text).toContain("No enrolled host matches state:online");
    const bad = await slash(ADMIN, "hosts page zero");
    expect(JSON.stringify(bad.blocks)).toContain("Usage: `/openclaw hosts [<pattern> | tag:<tag>");
  });
});

describe("/openclaw revoke and remove", () => {
  it("refuses a user the authorization file does not allow, audits it, and leaves the agent connected", async () => {
    await enroll("node-rv0", identity);
    const agent = await connect("node-rv0", identity);
    expect(agent.welcomed).toBe(true);
    for (const verb of ["revoke", "remove"]) {
      const reply = await slash(STRANGER, `${verb} node-rv0`);
      expect(JSON.stringify(reply.blocks)).toContain(`You are not allowed to \`${verb}\``);
    }
    expect(await cp.hub.isOnline("node-rv0")).toBe(true);
    expect((await cp.store.getHost("node-rv0"))?.revokedAt).toBeNull();
    const refused = (await auditFor("node-rv0")).filter((e) => e.actor === STRANGER);
    expect(refused.map((e) => [e.action, e.outcome, e.detail.split(" → ")[0]])).toEqual([
      ["command", "refused", "/openclaw revoke node-rv0"],
      ["command", "refused", "/openclaw remove node-rv0"],
    ]);
    agent.ws.close();
  });

  it("revoke closes the connected agent's socket (4403), refuses its reconnect, keeps the record marked revoked", async () => {
    await enroll("node-rv1", identity);
    const agent = await connect("node-rv1", identity);
    expect(agent.welcomed).toBe(true);
    const reply = await slash(ADMIN, "revoke node-rv1");
    expect(reply.text).toContain("Revoked node-rv1: its agent was connected and has been disconnected");
    expect(await agent.closed).toEqual({ code: AgentCloseCode.revoked, reason: "key revoked" });
    expect(await cp.hub.isOnline("node-rv1")).toBe(false);
    const again = await connect("node-rv1", identity);
    expect(again.welcomed).toBe(false);
    expect((await again.closed).code).toBe(AgentCloseCode.revoked);
    expect((await cp.store.getHost("node-rv1"))?.revokedAt).toBeGreaterThan(0);
    const listed = await slash(ADMIN, "hosts node-rv1");
    expect(hostLines(listed.blocks)[0]).toMatch(/^\*node-rv1\* — ⛔ revoked/);
    const entries = await auditFor("node-rv1");
    expect(entries.find((e) => e.action === "host.revoke")).toMatchObject({
      actor: ADMIN,
      outcome: "ok",
      detail: "key revoked; its agent was connected and has been disconnected",
    });
    expect((await slash(ADMIN, "revoke node-rv1")).text).toContain("node-rv1 is revoked already");
  });

  it("remove closes the socket, deletes the record, refuses the old key, and lets the name enroll again", async () => {
    await enroll("node-rm1", identity);
    const agent = await connect("node-rm1", identity);
    expect(agent.welcomed).toBe(true);
    const reply = await slash(ADMIN, "remove node-rm1");
    expect(reply.text).toContain("Removed node-rm1: its agent was connected and has been disconnected");
    expect((await agent.closed).code).toBe(AgentCloseCode.revoked);
    expect(await cp.store.getHost("node-rm1")).toBeNull();
    const old = await connect("node-rm1", identity);
    expect(old.welcomed).toBe(false);
    expect((await old.closed).code).toBe(AgentCloseCode.badSignature);
    // The name is free: a new key enrolls under it and connects.
    const fresh = loadOrCreateIdentity(join(dir, "agent-rm1-new"));
    await enroll("node-rm1", fresh);
    const back = await connect("node-rm1", fresh);
    expect(back.welcomed).toBe(true);
    expect(await cp.hub.isOnline("node-rm1")).toBe(true);
    expect((await auditFor("node-rm1")).find((e) => e.action === "host.remove")).toMatchObject({
      actor: ADMIN,
      outcome: "ok",
    });
    back.ws.close();
  });

  it("says so for a host that does not exist", async () => {
    const reply = await slash(ADMIN, "remove node-nope");
    expect(JSON.stringify(reply.blocks)).toContain("No enrolled host named `node-nope`");
  });
});
