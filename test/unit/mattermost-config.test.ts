import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MATTERMOST_VARS } from "../../src/adapters/mattermost/settings.ts";
import { parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { NODE_VARS } from "../../src/node/config/schema.ts";
import { configText } from "../../src/node/config/show.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { WORKER_VARS } from "../../src/worker/env-vars.ts";
import { quietLogger } from "../support/harness.ts";
import { MattermostStandIn } from "../support/mattermost-standin.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

/**
 * Mattermost's settings (issue 43): on when all three are set, on Node and Workers alike; some
 * but not all is a problem naming what to set; `clawops config` shows them, the tokens masked;
 * the authorization file takes `mattermost:` ids; and the Node start serves the routes.
 */
const URL_ = "https://chat.example.com/";
const BOT = "mattermost-secret-bot-token-value";
const CMD = "mattermost-secret-command-token-value";

describe("Mattermost settings", () => {
  it("all three set: Mattermost is on, the console off, and `clawops config` shows them with the tokens masked", async () => {
    const loaded = await loadNodeConfig({
      MATTERMOST_URL: URL_,
      MATTERMOST_BOT_TOKEN: BOT,
      MATTERMOST_COMMAND_TOKEN: CMD,
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quietLogger);
    expect(settings.mattermost).toEqual({ url: "https://chat.example.com", botToken: BOT, commandToken: CMD });
    expect(settings.console).toBe(false);
    const text = configText(loaded);
    expect(text).toContain("\nMattermost\n");
    expect(text).toContain("Chats on: Mattermost.");
    const beside = await loadNodeConfig({
      MATTERMOST_URL: URL_,
      MATTERMOST_BOT_TOKEN: BOT,
      MATTERMOST_COMMAND_TOKEN: CMD,
      CLAWOPS_CONSOLE: "1",
    });
    if (!beside.ok) expect.fail(beside.problems.join("\n"));
    expect(configText(beside)).toContain("Chats on: Mattermost, the local console.");
    const none = await loadNodeConfig({});
    if (!none.ok) expect.fail(none.problems.join("\n"));
    expect(configText(none)).toContain("Chats on: the local console.");
    expect(text).toMatch(/MATTERMOST_URL\s+https:\/\/chat\.example\.com/);
    expect(text).not.toContain(BOT);
    expect(text).not.toContain(CMD);
  });

  it("some but not all set, or a URL that is not one, is a problem naming the variable and never a token", async () => {
    const partial = await loadNodeConfig({ MATTERMOST_URL: URL_, MATTERMOST_BOT_TOKEN: BOT });
    const problems = partial.ok ? "" : partial.problems.join("\n");
    expect(problems).toContain("MATTERMOST_COMMAND_TOKEN is not set");
    expect(problems).not.toContain(BOT);
    const badUrl = await loadNodeConfig({
      MATTERMOST_URL: "chat.example.com",
      MATTERMOST_BOT_TOKEN: BOT,
      MATTERMOST_COMMAND_TOKEN: CMD,
    });
    expect(badUrl.ok ? "" : badUrl.problems.join("\n")).toContain("MATTERMOST_URL is not an http(s) URL");
  });

  it("the Worker reads the same table", () => {
    for (const [name, spec] of Object.entries(MATTERMOST_VARS)) {
      expect(WORKER_VARS[name as keyof typeof WORKER_VARS]).toBe(spec);
      expect(NODE_VARS[name as keyof typeof NODE_VARS]).toBe(spec);
    }
  });

  it("the authorization file takes mattermost:<id> users and channels, and refuses a malformed one", () => {
    const config = parseAuthzConfig(
      {
        actions: {
          freeze: {
            users: ["U0LEAD", "mattermost:user0000000000000000000001"],
            channels: ["mattermost:chan0000000000000000000001"],
          },
        },
      },
      "authz.json",
    );
    expect(config.actions.freeze?.users).toEqual(["U0LEAD", "mattermost:user0000000000000000000001"]);
    expect(() => parseAuthzConfig({ actions: { freeze: { users: ["mattermost:alice"] } } }, "authz.json")).toThrow(
      /mattermost:<user id>/,
    );
  });
});

describe("docs/mattermost.md", () => {
  it("names every Mattermost setting and both routes, and links the configuration section that exists", () => {
    const page = readFileSync("docs/mattermost.md", "utf8");
    for (const name of Object.keys(MATTERMOST_VARS)) expect(page).toContain(`\`${name}\``);
    expect(page).toContain("/mattermost/commands");
    expect(page).toContain("/mattermost/actions");
    expect(page).toContain("configuration.md#mattermost");
    expect(readFileSync("docs/configuration.md", "utf8")).toContain("\n### Mattermost\n");
  });
});

describe("Mattermost on the Node control plane", () => {
  const CHANNEL = "chan0000000000000000000001";
  let mm: MattermostStandIn;
  let plane: NodePlane;
  let cp: ControlPlane;

  beforeAll(async () => {
    mm = new MattermostStandIn(BOT, [CHANNEL]);
    await mm.start();
    plane = await startNodePlane({
      name: "mattermost-node",
      config: {
        console: false,
        mattermost: { url: mm.url, botToken: BOT, commandToken: CMD },
        watch: { intervalMs: 0 },
      },
    });
    cp = plane.cp;
  });

  afterAll(async () => {
    await plane?.close();
    await mm?.stop();
  });

  it("serves POST /mattermost/commands from the start's wiring: `/openclaw hosts` answered, a wrong token 401, no console", async () => {
    const form = (token: string) =>
      new URLSearchParams({
        token,
        team_id: "team0000000000000000000001",
        channel_id: CHANNEL,
        user_id: "user0000000000000000000001",
        user_name: "op",
        command: "/openclaw",
        text: "hosts",
        response_url: mm.responseUrl(),
        trigger_id: mm.trigger("user0000000000000000000001"),
      }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const ok = await fetch(`${cp.url}/mattermost/commands`, { method: "POST", headers, body: form(CMD) });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toContain("No hosts");
    const refused = await fetch(`${cp.url}/mattermost/commands`, { method: "POST", headers, body: form("wrong") });
    expect(refused.status).toBe(401);
    expect((await fetch(`${cp.url}/console`)).status).toBe(404);
  });
});
