import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCommandName, renameCommandText } from "../../src/core/messages/command-name.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { healthyScript } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { type SlackPlane, startSlackPlane } from "../support/slack-plane.ts";
import { postSlashCommand } from "../support/slack-signing.ts";
import type { SlackStandIn } from "../support/slack-standin.ts";

/**
 * A workspace that runs OpenClaw's own Slack app names clawops `/clawops` (CLAWOPS_COMMAND):
 * a really signed `/clawops` slash command against a real control plane, replies and posts
 * through the Slack stand-in.
 */
const SECRET = "test-signing-secret-command-0123456789";
const BOT_TOKEN = "xoxb-0000-test-bot-token-command";
const CHANNEL = "C0INCIDENT";

let cp: ControlPlane;
let slack: SlackStandIn;

let plane: SlackPlane;

beforeAll(async () => {
  const transport = new FakeHostTransport().addHost("node-3", { results: healthyScript() });
  plane = await startSlackPlane({
    name: "command",
    secret: SECRET,
    botToken: BOT_TOKEN,
    channel: CHANNEL,
    hosts: ["node-3"],
    transport,
    config: { console: true, commandName: parseCommandName("/clawops") },
  });
  ({ cp, slack } = plane);
});

afterAll(() => plane?.close());

const slash = (text: string) =>
  postSlashCommand(cp.url, SECRET, { text, command: "/clawops", user_id: "U0OPERATOR", channel_id: CHANNEL });

describe("CLAWOPS_COMMAND=/clawops", () => {
  it("runs a signed `/clawops triage` to its answer in the incident thread", async () => {
    const { status, body } = await slash("triage node-3");
    expect(status).toBe(200);
    expect(body.text).toMatch(/^🔎 Triage of node-3 started \(job job_\w+\)/);
    await slack.waitFor(
      () => [...slack.messages.values()].some((m) => m.threadTs && m.text.includes("Triage node-3:")),
      10_000,
      "the triage answer",
    );
    const [parent] = slack.topLevel(CHANNEL);
    expect(parent?.text).toBe("Incident: OpenClaw gateway on node-3");
    const result = slack.thread(CHANNEL, parent?.ts ?? "").find((m) => m.text.includes("Triage node-3:"));
    expect(result?.text).toContain("no failing layer");
    const posted = JSON.stringify([...slack.messages.values()]);
    expect(posted).not.toMatch(/\/openclaw\b/);
    expect(slack.violations).toEqual([]);
  });

  it("shows /clawops in help and usage texts, and never /openclaw", async () => {
    const help = JSON.stringify((await slash("help")).body.blocks);
    expect(help).toContain("`/clawops triage <host>`");
    expect(help).toContain("`/clawops revoke <host>`");
    expect(help).toContain("See `/clawops hosts`");
    expect(help).not.toContain("/openclaw");
    const usage = JSON.stringify((await slash("triage")).body.blocks);
    expect(usage).toContain("Usage: `/clawops triage <host>`, e.g. `/clawops triage node-3`.");
    const unknown = JSON.stringify((await slash("frobnicate")).body.blocks);
    expect(unknown).toContain("Try `/clawops help`");
  });

  it("takes the typed name in the console too, and records it in the audit log", async () => {
    const res = await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { ...cp.consoleHeaders(), "content-type": "application/json" },
      body: JSON.stringify({ text: "/clawops hosts" }),
    });
    const body = (await res.json()) as { ack: { text: string }; error: unknown };
    expect(body.error).toBeNull();
    expect(body.ack.text).toContain("1 host(s) enrolled");
    const audit = await (await fetch(`${cp.url}/api/console/audit.jsonl`, { headers: cp.consoleHeaders() })).text();
    expect(audit).toContain('"detail":"/clawops triage node-3"');
  });
});

describe("the command name", () => {
  it("is /openclaw by default and must look like a Slack command", () => {
    expect(parseCommandName(undefined)).toBe("/openclaw");
    expect(parseCommandName(" /clawops ")).toBe("/clawops");
    expect(() => parseCommandName("clawops")).toThrow(/CLAWOPS_COMMAND must be a slash command name/);
    expect(() => parseCommandName("/Claw Ops")).toThrow(/CLAWOPS_COMMAND/);
  });

  it("is renamed where it stands as the command, not inside paths or gateway commands", () => {
    const text =
      "Run `/openclaw triage node-3`, then /openclaw hosts. Not /usr/lib/openclaw, /openclaw/state or `openclaw gateway status`.";
    expect(renameCommandText(text, "/clawops")).toBe(
      "Run `/clawops triage node-3`, then /clawops hosts. Not /usr/lib/openclaw, /openclaw/state or `openclaw gateway status`.",
    );
    expect(renameCommandText(text, "/openclaw")).toBe(text);
  });
});
