import { describe, expect, it } from "vitest";
import { parseAuthzConfig } from "../../src/core/authz/authz.ts";
import { controlPlaneSettings, loadNodeConfig } from "../../src/node/config/load.ts";
import { configText } from "../../src/node/config/show.ts";
import { parseWorkerConfig, type WorkerEnv } from "../../src/worker/env.ts";

/**
 * Discord's settings (issue 43): on when all three are set, on Node and Workers alike; some but
 * not all is a problem naming what to set; `clawops config` shows them, the token masked; the
 * authorization file takes `discord:` ids.
 */
const KEY = "a".repeat(64);
const APP = "1200000000000000001";
const TOKEN = "MTIwMDAwMDAwMDAwMDAwMDAwMQ.secret-bot-token-value";
const quiet = { info() {}, warn() {}, error() {} };

describe("Discord settings", () => {
  it("all three set: Discord is on, the console off, and `clawops config` shows them with the token masked", async () => {
    const loaded = await loadNodeConfig({
      DISCORD_PUBLIC_KEY: KEY,
      DISCORD_APPLICATION_ID: APP,
      DISCORD_BOT_TOKEN: TOKEN,
    });
    if (!loaded.ok) expect.fail(loaded.problems.join("\n"));
    const settings = controlPlaneSettings(loaded.config, quiet);
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

  it("the Worker reads the same table: on with all three, a problem with some", () => {
    const base = { SLACK_SIGNING_SECRET: "s".repeat(32), SLACK_BOT_TOKEN: "xoxb-1" };
    const on = parseWorkerConfig({
      ...base,
      DISCORD_PUBLIC_KEY: KEY,
      DISCORD_APPLICATION_ID: APP,
      DISCORD_BOT_TOKEN: TOKEN,
    } as unknown as WorkerEnv);
    expect(on.ok && on.config.discord).toEqual({ publicKey: KEY, applicationId: APP, botToken: TOKEN });
    const some = parseWorkerConfig({ ...base, DISCORD_BOT_TOKEN: TOKEN } as unknown as WorkerEnv);
    expect(some.ok ? [] : some.problems.join("\n")).toContain(
      "DISCORD_PUBLIC_KEY and DISCORD_APPLICATION_ID are not set",
    );
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
