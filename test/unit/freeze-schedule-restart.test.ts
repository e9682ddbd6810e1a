import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * A scheduled maintenance freeze across a control-plane restart, black-box: the control plane
 * runs as `npm start` does, Slack is the stand-in (documented request shapes checked), the
 * command is a really signed slash command. The freeze starts ~25 s ahead and lasts 1 min; the
 * warning lead is 0.1 min (CLAWOPS_FREEZE_WARN_MIN, 15 by default) so every moment happens
 * within the test. The process is stopped once the warning is out and started again on the
 * same data folder; each announcement must then arrive exactly once in the command's channel
 * and the announcement channel. The restart lands between the warning and the start, unless
 * the machine is slow enough that it does not; the once-each check holds either way.
 */
const BOT_TOKEN = "xoxb-freeze-restart";
const SECRET = "freeze-restart-signing-secret";
const CHANNEL = "C0MAINT";
const ANNOUNCE = "C0ANNOUNCE";
const OPERATOR = "U0OPERATOR";

let slack: SlackStandIn;
let cp: ControlPlaneProcess | null = null;
let dir: string;

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  await slack.start();
  dir = mkdtempSync(join(tmpdir(), "clawops-freeze-restart-"));
  writeFileSync(join(dir, "authz.json"), JSON.stringify({ actions: { freeze: { users: [OPERATOR] } } }));
});

afterAll(async () => {
  await cp?.stop();
  await slack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({
  SLACK_API_URL: slack.url,
  SLACK_BOT_TOKEN: BOT_TOKEN,
  SLACK_SIGNING_SECRET: SECRET,
  CLAWOPS_CONSOLE: "0",
  CLAWOPS_AUTHZ_FILE: join(dir, "authz.json"),
  CLAWOPS_ANNOUNCE_CHANNELS: ANNOUNCE,
  CLAWOPS_FREEZE_WARN_MIN: "0.1",
});

/** Which announcement a top-level message is, by its fallback text. */
function moment(text: string): string {
  if (/scheduled .* by /.test(text)) return "set";
  if (/starts at .* \(in /.test(text)) return "soon";
  if (/is frozen for maintenance until/.test(text)) return "start";
  if (/ended at/.test(text)) return "end";
  if (/^Maintenance of the fleet over: /.test(text)) return "muted";
  return `other: ${text}`;
}
const moments = (channel: string) => slack.topLevel(channel).map((m) => moment(m.text));

describe("scheduled freeze across a control-plane restart", () => {
  it("announces when set, before, at the start and at the end, each exactly once, with a restart in the middle", async () => {
    const dataDir = join(dir, "data");
    cp = await spawnControlPlane(env(), { dataDir, keepData: true });
    const startsAt = new Date(Math.ceil((Date.now() + 25_000) / 1000) * 1000);
    const at = startsAt.toISOString().replace(/\.000Z$/, "Z");
    const reply = await postSlashCommand(cp.url, SECRET, {
      text: `freeze all at ${at} for 1m switch upgrade`,
      channel_id: CHANNEL,
      user_id: OPERATOR,
    });
    expect(reply.status).toBe(200);
    const ack = [reply.body.text, ...(reply.body.blocks ?? []).map((b) => JSON.stringify(b))].join("\n");
    expect(ack).toContain("Scheduled a maintenance freeze of *the whole fleet*");
    expect(ack).toContain(`${at.slice(0, 10)} ${at.slice(11, 16)} UTC`);

    await slack.waitFor(() => moments(ANNOUNCE).includes("soon"), 40_000, "the warning");
    const beforeRestart = moments(ANNOUNCE);
    await cp.stop();
    cp = await spawnControlPlane(env(), { dataDir, keepData: true });

    await slack.waitFor(() => moments(ANNOUNCE).includes("end"), 120_000, "the end of the window");
    // Two more sweeps (every 5 s) after the end: nothing is announced again.
    await new Promise((r) => setTimeout(r, 11_000));
    expect(beforeRestart.slice(0, 2)).toEqual(["set", "soon"]);
    // After the end: what the maintenance muted (issue 29), once too.
    expect(moments(CHANNEL)).toEqual(["set", "soon", "start", "end", "muted"]);
    expect(moments(ANNOUNCE)).toEqual(["set", "soon", "start", "end", "muted"]);
    expect(slack.violations).toEqual([]);
    // Nothing is left frozen or scheduled.
    const status = await postSlashCommand(cp.url, SECRET, { text: "status", channel_id: CHANNEL, user_id: OPERATOR });
    expect(status.body.text).toBe("No active freezes.");
  }, 180_000);

  it("a freeze policy file with a wrong field stops the start, naming the field", async () => {
    const policy = join(dir, "policy.json");
    writeFileSync(policy, JSON.stringify({ rules: [{ name: "down", findings: ["gateway-gone"] }] }));
    await expect(
      spawnControlPlane({ ...env(), CLAWOPS_FREEZE_POLICY: policy }, { dataDir: join(dir, "bad-policy") }),
    ).rejects.toThrow(/rules\.0\.findings\.0: not a finding rule id/);
  });
});
