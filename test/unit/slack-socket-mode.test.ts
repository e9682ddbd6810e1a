import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPROVE_ACTION_ID } from "../../src/core/confirmations/confirm.ts";
import { type AgentProcess, enrollAgent, runAgent } from "../support/agent-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { firstFindingId } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";
import { SocketModeStandIn } from "../support/socket-mode-standin.ts";

/**
 * Slack over Socket Mode, black-box: the control plane process (as `npm start` runs it) with
 * SLACK_APP_TOKEN and SLACK_BOT_TOKEN and no public endpoint; Bolt opens the socket through the
 * apps.connections.open stand-in, slash-command envelopes are acked with the same replies as
 * the HTTP endpoint gives, and a triage of a real agent lands in the Slack stand-in.
 */
const APP_TOKEN = "xapp-1-A0CLAWOPS-1234567890-socketmodetesttoken";
const BOT_TOKEN = "xoxb-socket-mode-bot-token-77a1";
const CHANNEL = "C0SOCKETINC";
const HOST = "sock-1";

let slack: SlackStandIn;
let socket: SocketModeStandIn;
let cp: ControlPlaneProcess;
let agent: AgentProcess | null = null;
let cpLog = "";

const noGateway = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: process.env.HOME ?? "/root",
  OPENCLAW_GATEWAY_PORT: "1",
  OPENCLAW_CONFIG_PATH: "/nonexistent/clawops-socket-test/openclaw.json",
  OPENCLAW_STATE_DIR: "/nonexistent/clawops-socket-test/state",
  CLAWOPS_OPENCLAW_BIN: "/nonexistent/clawops-socket-test/openclaw",
};

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  const apiUrl = await slack.start();
  socket = new SocketModeStandIn(APP_TOKEN);
  await socket.start(slack);
  cp = await spawnControlPlane({
    SLACK_API_URL: apiUrl,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: "",
  });
  cp.child.stderr?.on("data", (d) => {
    cpLog += d;
  });
  await socket.waitConnections(1);
  const dir = await enrollAgent({ server: cp.url, host: HOST, code: await cp.enrollmentCode(HOST), env: noGateway });
  agent = runAgent({ dir, env: noGateway, server: cp.url });
}, 90_000);

afterAll(async () => {
  await agent?.kill();
  await cp?.stop();
  await socket?.stop();
  await slack?.stop();
});

const ackText = (ack: { payload?: Record<string, unknown> }) => String(ack.payload?.text ?? "");

describe("Slack Socket Mode", () => {
  it("connects with the app token; the HTTP slash-command endpoint is not served without a signing secret", async () => {
    expect(socket.opens[0]).toEqual({ ok: true });
    const res = await fetch(`${cp.url}/slack/commands`, { method: "POST", body: "text=help" });
    expect(res.status).toBe(404);
  });

  it("acks a slash command with the same reply the HTTP endpoint gives, and runs the triage", async () => {
    const help = await socket.slashCommand({ text: "help", channel_id: CHANNEL });
    expect(help.payload).toMatchObject({ response_type: "ephemeral", text: "clawops commands" });

    // Wait for the agent: `hosts` over the socket until it shows online.
    for (let i = 0; i < 200; i++) {
      const hosts = await socket.slashCommand({ text: "hosts", channel_id: CHANNEL });
      if (JSON.stringify(hosts.payload).includes(`*${HOST}* — 🟢 online`)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    const triggerId = `${Date.now()}.socket-triage`;
    const ack = await socket.slashCommand({ text: `triage ${HOST}`, channel_id: CHANNEL, trigger_id: triggerId });
    expect(ack.payload?.response_type).toBe("ephemeral");
    expect(ackText(ack)).toContain(`Triage of ${HOST} started`);
    // Slack redelivers an envelope it thinks was not acked: same trigger_id, no second job.
    const again = await socket.slashCommand({ text: `triage ${HOST}`, channel_id: CHANNEL, trigger_id: triggerId });
    expect(ackText(again)).toContain("received already");
    await slack.waitFor(
      () => {
        const parent = slack.topLevel(CHANNEL)[0];
        const result = parent ? slack.thread(CHANNEL, parent.ts)[1] : undefined;
        return !!result && !JSON.stringify(result.blocks).includes("Still running");
      },
      60_000,
      "the final triage result in the incident thread",
    );
    const parent = slack.topLevel(CHANNEL)[0];
    const result = slack.thread(CHANNEL, parent?.ts ?? "")[1];
    expect(firstFindingId(result?.blocks)).toBeTruthy();
    // One job: one progress message and one result in the thread, despite the redelivery.
    expect(slack.thread(CHANNEL, parent?.ts ?? "")).toHaveLength(2);
    expect(slack.violations).toEqual([]);

    // A bad command gets the same error reply as over HTTP, and starts nothing.
    const bad = await socket.slashCommand({ text: "reboot everything", channel_id: CHANNEL });
    expect(ackText(bad)).toContain("Unknown command");
  });

  it("reconnects when Slack asks for a refresh, and keeps serving commands", async () => {
    const before = socket.connections.length;
    socket.requestRefresh();
    await socket.waitConnections(before + 1);
    expect(socket.opens.filter((o) => o.ok).length).toBeGreaterThanOrEqual(2);
    const help = await socket.slashCommand({ text: "help" });
    expect(ackText(help)).toBe("clawops commands");
  });

  it("puts a person's reply in the incident thread on its timeline from an events_api envelope, once", async () => {
    const parent = slack.topLevel(CHANNEL)[0];
    expect(parent).toBeTruthy();
    const ts = `${Math.floor(Date.now() / 1000)}.000777`;
    const event = {
      type: "message",
      channel: CHANNEL,
      user: "U0SOCKETSRE",
      text: "sock-1 has no gateway at all: nothing listens on its port",
      ts,
      thread_ts: parent?.ts,
      event_ts: ts,
      channel_type: "channel",
    };
    const ack = await socket.eventCallback(event, "Ev0SOCKET01");
    expect(ack.envelope_id).toBeTruthy();
    // Slack redelivers an envelope it thinks was not acked: same event_id.
    await socket.eventCallback(event, "Ev0SOCKET01");
    const id = /inc_[A-Za-z0-9_-]+/.exec(
      JSON.stringify((await socket.slashCommand({ text: "incidents all" })).payload),
    )?.[0];
    expect(id).toBeTruthy();
    let shown = "";
    for (let i = 0; i < 100 && !shown.includes("nothing listens on its port"); i++) {
      shown = JSON.stringify((await socket.slashCommand({ text: `incident ${id}` })).payload);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(shown.match(/nothing listens on its port/g)).toHaveLength(1);
    expect(shown).toContain("message");
    expect(socket.violations).toEqual([]);
  });

  it("acks interactive envelopes so Slack does not retry them", async () => {
    const ack = await socket.blockAction("clawops-unknown-action");
    expect(ack.envelope_id).toBeTruthy();
    expect(socket.violations).toEqual([]);
  });

  it("routes confirmation buttons to the same handler as POST /slack/interactions", async () => {
    // A press on an approval that does not exist: refused, and the refusal is audited.
    const ack = await socket.blockAction(APPROVE_ACTION_ID);
    expect(ack.envelope_id).toBeTruthy();
    const audit = await socket.slashCommand({ text: "audit" });
    expect(JSON.stringify(audit)).toContain("this confirmation does not exist");
  });

  it("runs a command button's press as the presser's command, acked at the press's response_url", async () => {
    const id = "socket-press-1";
    const ack = await socket.blockAction(`clawops_run:triage:${HOST}`, {
      value: `triage ${HOST}`,
      responseUrl: slack.responseUrl(id),
    });
    expect(ack.envelope_id).toBeTruthy();
    await slack.waitFor(() => slack.responses.some((r) => r.path.includes(id)), 10_000, "the press's ack");
    const reply = slack.responses.find((r) => r.path.includes(id))?.body;
    expect(reply).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(String(reply?.text)).toContain(`Triage of ${HOST} started`);
    const audit = JSON.stringify(await socket.slashCommand({ text: `audit ${HOST}` }));
    expect(audit).toContain(`button: /openclaw triage ${HOST}`);
    // A crafted value on a command button's id runs nothing.
    const crafted = "socket-press-2";
    await socket.blockAction(`clawops_run:triage:${HOST}`, {
      value: "unfreeze all",
      responseUrl: slack.responseUrl(crafted),
    });
    await slack.waitFor(() => slack.responses.some((r) => r.path.includes(crafted)), 10_000, "the refusal");
    expect(String(slack.responses.find((r) => r.path.includes(crafted))?.body.text)).toContain("Nothing was run");
  });

  it("never logs or posts the tokens", () => {
    const everything = JSON.stringify(slack.calls) + cpLog + JSON.stringify(socket.acks);
    expect(everything).not.toContain(APP_TOKEN);
    expect(everything).not.toContain(BOT_TOKEN);
  });
});

describe("Slack Socket Mode with a wrong app token", () => {
  it("the control plane refuses to start, says why, and does not print the token", async () => {
    const wrong = "xapp-1-A0CLAWOPS-1234567890-wrongtoken";
    const err = await spawnControlPlane({
      SLACK_API_URL: slack.url,
      SLACK_APP_TOKEN: wrong,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: "",
    }).then(
      async (cp2) => {
        await cp2.stop();
        return null;
      },
      (e: Error) => e,
    );
    expect(err?.message).toMatch(/exited 1: .*invalid_auth/s);
    expect(err?.message).not.toContain(wrong);
    expect(socket.opens.at(-1)).toEqual({ ok: false });
  });
});
