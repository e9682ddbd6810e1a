import { describe, expect, it } from "vitest";
import { DISCORD_VARS } from "../../src/adapters/discord/settings.ts";
import { parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { NODE_VARS } from "../../src/node/config/schema.ts";
import { configText } from "../../src/node/config/show.ts";
import { WORKER_VARS } from "../../src/worker/env-vars.ts";
import { quietLogger } from "../support/harness.ts";

/**
 * Discord's settings (issue 43): on when all three are set, on Node and Workers alike; some but
 * not all is a problem naming what to set; `clawops config` shows them, the token masked; the
 * authorization file takes `discord:` ids.
 */
const KEY = "a".repeat(64);
const APP = "1200000000000000001";
const TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.secret-bot-token-value";

describe("Discord settings", () => {
  it("all three set: Discord is on, the console off, and `clawops config` shows them with the token masked", async () => {
    const loaded = await loadNodeConfig({
      DISCORD_PUBLIC_KEY: KEY,
      DISCORD_APPLICATION_ID: APP,
      DISCORD_BOT_TOKEN: TOKEN,
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quietLogger);
    expect(settings.discord).toEqual({ publicKey: KEY, applicationId: APP, botToken: TOKEN });
    expect(settings.console).toBe(false);
    const text = configText(loaded);
    expect(text).toContain("\nDiscord\n");
    expect(text).toMatch(/DISCORD_APPLICATION_ID\s+1200000000000000001/);
    expect(text).not.toContain(TOKEN);
  });

  it("some but not all set, or a key that is not 64 hex characters, is a problem naming the variable and never the token", async () => {
    const partial = await loadNodeConfig({ DISCORD_PUBLIC_KEY: KEY, DISCORD_BOT_TOKEN: TOKEN });
    expect(partial.ok).toBe(false);
    const problems = partial.ok ? "" : partial.problems.join("\n");
    expect(problems).toContain("DISCORD_APPLICATION_ID is not set");
    expect(problems).not.toContain(TOKEN);
    const badKey = await loadNodeConfig({
      DISCORD_PUBLIC_KEY: "xyz",
      DISCORD_APPLICATION_ID: APP,
      DISCORD_BOT_TOKEN: TOKEN,
    });
    expect(badKey.ok ? "" : badKey.problems.join("\n")).toContain("DISCORD_PUBLIC_KEY is not 64 hex characters");
  });

  it("the Worker reads the same table (its problems and the `on` rule are test/workers/discord-interactions.test.ts's)", () => {
    for (const [name, spec] of Object.entries(DISCORD_VARS)) {
      expect(WORKER_VARS[name as keyof typeof WORKER_VARS]).toBe(spec);
      expect(NODE_VARS[name as keyof typeof NODE_VARS]).toBe(spec);
    }
  });

  it("the authorization file takes discord:<id> users and channels beside Slack ids, and refuses a malformed one", () => {
    const config = parseAuthzConfig(
      {
        actions: {
          freeze: { users: ["U0LEAD", "discord:123456789012345678"], channels: ["discord:223456789012345678"] },
        },
      },
      "authz.json",
    );
    expect(config.actions.freeze?.users).toEqual(["U0LEAD", "discord:123456789012345678"]);
    expect(() => parseAuthzConfig({ actions: { freeze: { users: ["discord:alice"] } } }, "authz.json")).toThrow(
      /actions\.freeze\.users\.0: a Slack user id like U0123ABC, discord:<user id>/,
    );
  });
});
