import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newSimIdentity, type SimAgentSpec, SimAgents, type SimProfile } from "../support/sim-agents.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "../support/slack-standin.ts";
import { startWorkerdPlane, type WorkerdPlane } from "../support/workerd-plane.ts";

/**
 * `/openclaw status all --live` on the Workers runtime (docs/workers.md): wrangler.toml's
 * Worker in workerd, 3 hosts per fan-out object (`CLAWOPS_FANOUT_GROUP`), so the 11 hosts
 * span 4 `FanoutShard` objects. Simulated agents (real `ws` clients, enrolled Ed25519
 * identities, the real agent protocol) answer the quick probe: healthy, with their gateway
 * down, or never (connected, silent); two hosts are enrolled with no agent connected.
 */
const SECRET = "workerd-fanout-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-workerd-fanout-bot-token";
const ADMIN_TOKEN = "workerd-fanout-admin-token-1c7e93";
const CHANNEL = "C0FANOUT";

const FLEET: Record<string, SimProfile | "offline"> = {
  "fo-ok-1": "healthy",
  "fo-ok-2": "healthy",
  "fo-ok-3": "healthy",
  "fo-ok-4": "healthy",
  "fo-down-1": "down",
  "fo-down-2": "down",
  "fo-down-3": "down",
  "fo-silent-1": "silent",
  "fo-silent-2": "silent",
  "fo-off-1": "offline",
  "fo-off-2": "offline",
};

let plane: WorkerdPlane;
let baseUrl: string;
let slack: SlackStandIn;
let sims: SimAgents;

beforeAll(async () => {
  plane = await startWorkerdPlane({
    name: "workerd-fanout",
    secret: SECRET,
    botToken: BOT_TOKEN,
    adminToken: ADMIN_TOKEN,
    vars: { CLAWOPS_FANOUT_GROUP: "3" },
  });
  ({ url: baseUrl, slack } = plane);
  const specs: SimAgentSpec[] = [];
  for (const [host, profile] of Object.entries(FLEET)) {
    const code = await plane.enrollmentCode(host);
    const id = newSimIdentity(host);
    const enrolled = await fetch(`${baseUrl}/api/enroll`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ code, host, publicKey: id.publicKey }),
    });
    expect(enrolled.status).toBe(200);
    if (profile !== "offline") specs.push({ host, keyPem: id.keyPem, profile });
  }
  sims = new SimAgents(`${baseUrl.replace(/^http/, "ws")}/agent/connect`, specs);
  sims.start();
  const end = Date.now() + 60_000;
  while (sims.snapshot().connected < specs.length) {
    if (Date.now() > end) throw new Error(`only ${sims.snapshot().connected} of ${specs.length} agents connected`);
    await new Promise((r) => setTimeout(r, 100));
  }
}, 120_000);

afterAll(async () => {
  // The agents first, as the plane stops its own before the Worker.
  await sims?.stop();
  await plane?.stop();
}, 60_000);

/** The fleet message's host lines: `*host* <state> — <reason>`. */
function rowsOf(message: StoredMessage): Map<string, string> {
  const lines = message.blocks
    .flatMap((b) => (b.type === "section" ? String((b.text as { text?: string }).text ?? "").split("\n") : []))
    .filter((l) => l.includes(" — "));
  return new Map(lines.map((l) => [/\*([a-z0-9-]+)\*/.exec(l)?.[1] ?? "", l]));
}

describe("status all --live on the Workers runtime (workerd, fan-out objects)", () => {
  it("answers for every host across the fan-out objects with its real state: ok, failing, no answer, offline", async () => {
    const { status, body } = await postSlashCommand(baseUrl, SECRET, {
      text: "status all --live",
      channel_id: CHANNEL,
    });
    expect(status).toBe(200);
    expect(body.text).toContain("Quick-probing 11 hosts");
    await slack.waitFor(() => slack.topLevel(CHANNEL).length > 0, 30_000, "the fleet matrix");
    const matrix = slack.topLevel(CHANNEL)[0] as StoredMessage;
    expect(matrix.text).toBe("Fleet status (all hosts): 11 hosts: 4 ok · 0 warn · 3 fail · 2 no answer · 2 offline");
    const rows = rowsOf(matrix);
    expect([...rows.keys()].sort()).toEqual(Object.keys(FLEET).sort());
    for (const host of ["fo-ok-1", "fo-ok-2", "fo-ok-3", "fo-ok-4"]) {
      expect(rows.get(host)).toContain("🟢 ok — every probed layer ok");
    }
    for (const host of ["fo-down-1", "fo-down-2", "fo-down-3"])
      expect(rows.get(host)).toContain("🔴 fail — Gateway is not running");
    for (const host of ["fo-silent-1", "fo-silent-2"]) {
      expect(rows.get(host)).toMatch(/⏱️ no answer — no answer within \d+\.\d s/u);
    }
    for (const host of ["fo-off-1", "fo-off-2"]) expect(rows.get(host)).toContain("⚫ offline — agent not connected");
    // Each answering agent got exactly one quick probe, answered with its result alone.
    const stats = sims.snapshot();
    expect(stats.jobsAnswered).toBe(7);
    expect(stats.jobsIgnored).toBe(2);
    expect(stats.progressSent).toBe(0);
    expect(slack.violations).toEqual([]);
  }, 60_000);

  it("status all from the watch asks the hosts with no stored state through the fan-out objects: connected or offline", async () => {
    // These simulated agents send no watch frames, so no host has a stored state.
    const before = slack.topLevel(CHANNEL).length;
    const { status, body } = await postSlashCommand(baseUrl, SECRET, { text: "status all", channel_id: CHANNEL });
    expect(status).toBe(200);
    expect(body.text).toContain("from the watch follows");
    await slack.waitFor(() => slack.topLevel(CHANNEL).length > before, 30_000, "the fleet matrix");
    const matrix = slack.topLevel(CHANNEL)[before] as StoredMessage;
    expect(matrix.text).toBe(
      "Fleet status (all hosts): 11 hosts: 0 ok · 0 warn · 0 fail · 0 no answer · 2 offline · 9 not watched",
    );
    const rows = rowsOf(matrix);
    for (const [host, profile] of Object.entries(FLEET)) {
      expect(rows.get(host)).toContain(
        profile === "offline" ? "⚫ offline — agent not connected" : "◌ not watched — reachable, no watch state",
      );
    }
  }, 60_000);
});
