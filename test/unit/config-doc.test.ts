import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_DOC, REGENERATE_CONFIG, renderConfigDoc } from "../../scripts/gen-config-doc.ts";
import { AGENT_VARS } from "../../src/agent/vars.ts";
import { CLI_VARS, NODE_VARS } from "../../src/node/config/schema.ts";
import { WORKER_VARS } from "../../src/worker/env-vars.ts";

/** docs/configuration.md is generated from the configuration tables; it must match them. */
describe("docs/configuration.md", () => {
  const want = renderConfigDoc();

  it("is what the generator writes today", () => {
    let have = "";
    try {
      have = readFileSync(new URL(`../../${CONFIG_DOC}`, import.meta.url), "utf8");
    } catch {
      // missing: fails below with the same advice
    }
    if (have !== want)
      expect.fail(`${CONFIG_DOC} is out of date with the configuration tables. Regenerate it: ${REGENERATE_CONFIG}`);
  });

  it("has a row for every variable of every runtime, once per runtime", () => {
    const rows = want.split("\n").filter((l) => l.startsWith("| `"));
    const names = rows.map((r) => r.split("`")[1]);
    const declared = [NODE_VARS, CLI_VARS, WORKER_VARS, AGENT_VARS].flatMap((t) => Object.keys(t));
    expect(names).toEqual(declared);
    // Secrets say so on the page.
    expect(rows.find((r) => r.startsWith("| `SLACK_BOT_TOKEN`"))).toContain("(secret)");
  });
});
