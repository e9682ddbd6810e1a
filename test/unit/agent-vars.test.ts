import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AGENT_VARS } from "../../src/agent/vars.ts";
import { runNode } from "../support/run-node.ts";

/**
 * The agent's variables in one table (issue 45, item 1): what its sources read, what
 * `clawops-agent --help` lists and what docs/configuration.md says (config-doc.test.ts) are the
 * same names.
 */
const AGENT_SRC = fileURLToPath(new URL("../../src/agent/", import.meta.url));
const MAIN = join(AGENT_SRC, "main.ts");

/** Set by the agent for its own child across an upgrade (upgrade/supervisor.ts), never by an operator. */
const INTERNAL = new Set(["CLAWOPS_AGENT_TRIAL", "CLAWOPS_AGENT_SUPERVISOR"]);

function files(d: string): string[] {
  return readdirSync(d).flatMap((e) => {
    const p = join(d, e);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

describe("the agent's variables", () => {
  it("each CLAWOPS_* name in the agent's sources is in its table", () => {
    const named = new Set(
      files(AGENT_SRC).flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\bCLAWOPS_[A-Z0-9_]*/g)].map((m) => m[0])),
    );
    const missing = [...named].filter((n) => !n.endsWith("_") && !INTERNAL.has(n) && !(n in AGENT_VARS));
    expect(missing.sort()).toEqual([]);
  });

  it("`clawops-agent --help` lists every one, with its default", async () => {
    const r = await runNode(MAIN, ["--help"], { PATH: process.env.PATH, HOME: process.env.HOME });
    expect(r.code).toBe(0);
    const env = r.stdout.slice(r.stdout.indexOf("Environment"));
    for (const [name, v] of Object.entries(AGENT_VARS)) {
      expect(env, name).toMatch(new RegExp(`^  ${name} `, "m"));
      if ("default" in v) expect(env.replace(/\s+/g, " "), name).toContain(`Default: ${v.default}.`);
    }
  });
});
