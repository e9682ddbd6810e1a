import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { discordCommandDefinition } from "../../src/adapters/discord/command.ts";

/** docs/discord.md's registration call registers exactly the command the endpoint answers. */
describe("docs/discord.md", () => {
  it("shows the command definition clawops answers, byte for byte", () => {
    const page = readFileSync("docs/discord.md", "utf8");
    expect(page).toContain(`-d '${JSON.stringify([discordCommandDefinition()])}'`);
  });
});
