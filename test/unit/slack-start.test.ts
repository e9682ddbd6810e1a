import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnControlPlane } from "../support/control-plane-process.ts";
import { freePort } from "../support/ports.ts";
import { SlackStandIn } from "../support/slack-standin.ts";
import { SocketModeStandIn } from "../support/socket-mode-standin.ts";

/**
 * What `npm start` checks before it serves Slack, and how it says what is wrong (issue 33, items
 * 4 and 6): auth.test with the bot token (the banner names the workspace and the bot), for Socket
 * Mode apps.connections.open with the app token, a clear refusal naming the call and what to
 * check; a busy port naming CLAWOPS_PORT; one `component` key on every log line. The control
 * plane as a process, against the Slack and Socket Mode stand-ins.
 */
const BOT_TOKEN = "xoxb-slack-start-bot-token-4d2e";
const APP_TOKEN = "xapp-1-A0CLAWOPS-1-slack-start-app-token";
const SECRET = "slack-start-signing-secret-0123456789";

let slack: SlackStandIn;
let socket: SocketModeStandIn;

beforeAll(async () => {
  slack = new SlackStandIn(BOT_TOKEN);
  await slack.start();
  socket = new SocketModeStandIn(APP_TOKEN);
  await socket.start(slack);
});

afterAll(async () => {
  await socket?.stop();
  await slack?.stop();
});

/** The start's failure: its stderr, from the rejection spawnControlPlane gives when it exits. */
async function refusal(env: Record<string, string>): Promise<string> {
  return spawnControlPlane(env).then(
    async (cp) => {
      await cp.stop();
      throw new Error("the control plane started");
    },
    (err: Error) => err.message,
  );
}

/** Each JSON log line and how many `"component"` keys it has (JSON.parse would keep only the last). */
function componentKeys(stderr: string): { line: string; count: number }[] {
  return stderr
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((line) => ({ line, count: line.match(/"component":/g)?.length ?? 0 }));
}

describe("Slack checked at start", () => {
  it("checks the bot token with auth.test and names the workspace and the bot in the banner", async () => {
    const cp = await spawnControlPlane({
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
    });
    try {
      expect(cp.stdout()).toContain(
        "\n  Slack:                workspace Acme Ops (T0001) as @clawops (bot B0CLAWOPS), HTTP\n",
      );
      expect(slack.calls.filter((c) => c.method === "auth.test").length).toBe(1);
      // Where it listens, and the variables that say so (issue 33, item 4).
      expect(cp.stdout()).toMatch(
        /\n {2}Address: {14}127\.0\.0\.1:\d+ \(CLAWOPS_BIND, CLAWOPS_PORT\); the CLI run in this folder finds it, elsewhere give it --server http:\/\/127\.0\.0\.1:\d+ or CLAWOPS_URL\n/,
      );
    } finally {
      await cp.stop();
    }
    expect(slack.violations).toEqual([]);
  });

  it("refuses a bot token Slack refuses, naming the call, Slack's error and what to check, never the token", async () => {
    const wrong = "xoxb-slack-start-wrong-token-9b1c";
    const err = await refusal({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: wrong, SLACK_API_URL: slack.url });
    expect(err).toMatch(/exited 1: /);
    expect(err).toContain(
      "clawops: Slack refused SLACK_BOT_TOKEN at start (auth.test: invalid_auth). Check it is the app's Bot User OAuth Token (xoxb-…, Slack app > OAuth & Permissions) and the app is installed in the workspace.",
    );
    expect(err).not.toContain(wrong);
  });

  it("refuses a user token: auth.test names no bot", async () => {
    const userToken = new SlackStandIn("xoxp-slack-start-user-token-1");
    userToken.identity = { ...userToken.identity, user: "ana", user_id: "U0ANA", bot_id: "" };
    await userToken.start();
    try {
      const err = await refusal({
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: "xoxp-slack-start-user-token-1",
        SLACK_API_URL: userToken.url,
      });
      expect(err).toContain(
        "SLACK_BOT_TOKEN is not a bot token: auth.test says it belongs to the user ana in Acme Ops, with no bot.",
      );
    } finally {
      await userToken.stop();
    }
  });

  it("refuses when Slack cannot be reached, saying so and what to check", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}/api`;
    const err = await refusal({ SLACK_SIGNING_SECRET: SECRET, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: nowhere });
    expect(err).toMatch(
      /clawops: clawops could not check SLACK_BOT_TOKEN at start: Slack auth\.test failed after \d+ attempts? in [\d.]+ s: fetch failed \(ECONNREFUSED\)\. .* It needs the Slack Web API: check this machine's network, DNS and proxy \(SLACK_API_URL is http:\/\/127\.0\.0\.1:\d+\/api: set it only for a Slack stand-in\)\./,
    );
  }, 40_000);

  it("refuses a Socket Mode token that is not an app-level token, before calling Slack", async () => {
    const before = slack.calls.length;
    const err = await refusal({ SLACK_APP_TOKEN: BOT_TOKEN, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: slack.url });
    expect(err).toContain(
      'SLACK_APP_TOKEN must be an app-level token (xapp-…: Slack app > Basic Information > App-Level Tokens, scope connections:write) for Socket Mode; it starts with "xoxb-", a bot token: that one goes in SLACK_BOT_TOKEN.',
    );
    expect(slack.calls.length).toBe(before);
  });

  it("refuses an app token Slack refuses (apps.connections.open)", async () => {
    const err = await refusal({
      SLACK_APP_TOKEN: "xapp-1-A0CLAWOPS-1-wrong",
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
    });
    expect(err).toContain(
      "clawops: Slack refused SLACK_APP_TOKEN at start (apps.connections.open: invalid_auth). Check it is an app-level token (xapp-…, Slack app > Basic Information > App-Level Tokens) with the connections:write scope, and Socket Mode is on (Settings > Socket Mode).",
    );
  });

  it("over Socket Mode: banner, and a failed reconnect logged with the call it was and what to check, one component per line", async () => {
    const cp = await spawnControlPlane({
      SLACK_APP_TOKEN: APP_TOKEN,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
    });
    try {
      expect(cp.stdout()).toContain("as @clawops (bot B0CLAWOPS), Socket Mode\n");
      const connections = socket.connections.length;
      await socket.waitConnections(connections);
      // Slack drops the link and its Web API then fails: the client's own words name no call.
      slack.failNext("apps.connections.open", { kind: "reset" }, { kind: "reset" });
      socket.live?.terminate();
      await expect
        .poll(() => cp.stderr(), { timeout: 30_000, interval: 200 })
        .toMatch(/"call":"apps\.connections\.open"/);
      const line = cp
        .stderr()
        .split("\n")
        .find((l) => l.includes('"call":"apps.connections.open"'));
      expect(JSON.parse(line ?? "{}")).toMatchObject({
        component: expect.stringMatching(/^slack-/),
        check: expect.stringContaining("SLACK_APP_TOKEN"),
      });
      expect(componentKeys(cp.stderr()).filter((l) => l.count !== 1)).toEqual([]);
    } finally {
      await cp.stop();
    }
  }, 60_000);
});

describe("a busy port", () => {
  let holder: Server;
  let port = 0;
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

  it("says which variable to set", async () => {
    const err = await refusal({ CLAWOPS_PORT: String(port) });
    expect(err).toContain(
      `clawops: Port ${port} on 127.0.0.1 is already in use (another clawops, \`wrangler dev\`, or another program: \`ss -ltnp 'sport = :${port}'\` shows which). Set CLAWOPS_PORT to a free port (0 picks one), or stop what listens there.`,
    );
  });
});
