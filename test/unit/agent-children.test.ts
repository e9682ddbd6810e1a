import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV, buildAgent } from "../../scripts/build-agent.ts";
import { type AgentLaunch, type AgentProcess, runAgent } from "../support/agent-process.ts";

/**
 * Issue 31, item 6: a command the agent started dies with the agent, however the agent dies.
 * The built agent runs with a stand-in `openclaw` whose `doctor --lint` (which the agent runs at
 * start to warm its doctor cache) writes its pid and starts a grandchild in its process group,
 * then hangs. The agent is ended with SIGKILL (it runs no code of its own then) or SIGTERM; both
 * the command and its child are gone within seconds.
 */

let work: string;
let bundle: AgentLaunch;
let agent: AgentProcess | null = null;
const leftovers: number[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-children-"));
  const out = await buildAgent(join(work, "clawops-agent.mjs"));
  bundle = { entry: out.outfile, nodeArgs: AGENT_NODE_FLAGS };
}, 60_000);

afterEach(async () => {
  await agent?.kill("SIGKILL");
  agent = null;
  for (const pid of leftovers.splice(0)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone, as it should be.
    }
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Running: /proc has it and it is not a zombie (a reaped-late child of a dead parent). */
function alive(pid: number): boolean {
  try {
    const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return state !== undefined && state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** Starts the agent with the hanging stand-in; resolves with the pids of the command and its child. */
async function agentWithHangingDoctor(name: string): Promise<{ cli: number; grandchild: number }> {
  const lab = join(work, name);
  const home = join(lab, "home");
  const state = join(home, ".openclaw");
  const dir = join(lab, "agent");
  for (const d of [home, state, dir]) mkdirSync(d, { recursive: true });
  writeFileSync(join(state, "openclaw.json"), JSON.stringify({ gateway: { mode: "local" } }));
  // Nothing listens there: the agent keeps dialling; the doctor run at start is what matters.
  writeFileSync(
    join(dir, "agent.json"),
    JSON.stringify({ server: "http://127.0.0.1:9", host: name, enrolledAt: "2026-11-25T00:00:00.000Z" }),
  );
  const bin = join(lab, "openclaw");
  writeFileSync(
    bin,
    [
      "#!/bin/sh",
      `[ "$1" = doctor ] || exit 0`,
      `echo $$ > '${lab}/cli.pid'`,
      "sleep 300 &",
      `echo $! > '${lab}/grandchild.pid'`,
      "wait",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  agent = runAgent({
    dir,
    launch: bundle,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      ...AGENT_SERVICE_ENV,
      OPENCLAW_STATE_DIR: state,
      OPENCLAW_GATEWAY_PORT: "9",
      CLAWOPS_OPENCLAW_BIN: bin,
    },
  });
  const files = [join(lab, "cli.pid"), join(lab, "grandchild.pid")];
  expect(await until(() => files.every((f) => existsSync(f) && readFileSync(f, "utf8").trim() !== ""), 15_000)).toBe(
    true,
  );
  const [cli, grandchild] = files.map((f) => Number(readFileSync(f, "utf8").trim())) as [number, number];
  leftovers.push(cli, grandchild);
  expect(alive(cli)).toBe(true);
  expect(alive(grandchild)).toBe(true);
  return { cli, grandchild };
}

describe("the agent's commands die with it", () => {
  it("SIGKILL of the agent: the running openclaw command and its child are gone, not left running", async () => {
    const { cli, grandchild } = await agentWithHangingDoctor("sigkill");
    const child = agent?.child;
    expect(child?.pid).toBeGreaterThan(0);
    child?.kill("SIGKILL");
    // A bound for the wait, not a speed claim (about a second on a quiet box; 3 s failed on a busy one).
    expect(await until(() => !alive(cli) && !alive(grandchild), 15_000)).toBe(true);
  }, 40_000);

  it("SIGTERM of the agent: the same, after the agent's own shutdown", async () => {
    const { cli, grandchild } = await agentWithHangingDoctor("sigterm");
    await agent?.kill("SIGTERM");
    expect(await until(() => !alive(cli) && !alive(grandchild), 5_000)).toBe(true);
  }, 40_000);
});
