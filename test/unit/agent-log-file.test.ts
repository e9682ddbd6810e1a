import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { agentLogWriter, rotatingFileWriter } from "../../src/agent/log-file.ts";

/** The agent's own rotated log file (CLAWOPS_AGENT_LOG_FILE), which the launchd plist uses. */
const AGENT_MAIN = join(import.meta.dirname, "../../src/agent/main.ts");
const dir = mkdtempSync(join(tmpdir(), "clawops-agent-log-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const line = (n: number) => `${JSON.stringify({ n, msg: "x".repeat(30) })}\n`;

describe("rotating agent log file", () => {
  it("rotates at the size limit, keeps the newest generations in order and drops the oldest", () => {
    const path = join(dir, "rot", "agent.log");
    const write = rotatingFileWriter(path, { maxBytes: 200, keep: 2 });
    const size = Buffer.byteLength(line(0));
    for (let n = 0; n < 20; n++) write(line(n));
    const perFile = Math.floor(200 / size);
    const read = (p: string) =>
      readFileSync(p, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).n as number);
    const current = read(path);
    const one = read(`${path}.1`);
    const two = read(`${path}.2`);
    expect(existsSync(`${path}.3`)).toBe(false);
    // Newest in the live file, each older generation just before it, nothing split or repeated.
    expect([...two, ...one, ...current]).toEqual(
      Array.from(
        { length: two.length + one.length + current.length },
        (_, i) => 20 - two.length - one.length - current.length + i,
      ),
    );
    expect(current.at(-1)).toBe(19);
    for (const p of [path, `${path}.1`, `${path}.2`]) expect(statSync(p).size).toBeLessThanOrEqual(200);
    expect(one.length).toBe(perFile);
    // Only its user may read it: the log names hosts and the control plane.
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("appends to the file an earlier run left, counting its size", () => {
    const path = join(dir, "append.log");
    rotatingFileWriter(path, { maxBytes: 10_000 })(line(1));
    rotatingFileWriter(path, { maxBytes: 10_000 })(line(2));
    expect(readFileSync(path, "utf8")).toBe(line(1) + line(2));
  });

  it("hands a line it cannot write to the fallback instead of throwing", () => {
    const blocked = join(dir, "file-not-dir");
    rotatingFileWriter(blocked)(line(0)); // a file where the next writer wants a folder
    const lost: string[] = [];
    const write = rotatingFileWriter(join(blocked, "agent.log"), { onError: (_e, l) => lost.push(l) });
    expect(() => write(line(7))).not.toThrow();
    expect(lost).toEqual([line(7)]);
  });

  it("expands ~/ to the agent user's home", () => {
    const home = join(dir, "home");
    agentLogWriter({ HOME: home, CLAWOPS_AGENT_LOG_FILE: "~/Library/Logs/clawops/clawops-agent.log" })(line(3));
    expect(readFileSync(join(home, "Library/Logs/clawops/clawops-agent.log"), "utf8")).toBe(line(3));
  });

  it("the agent writes why it stopped into CLAWOPS_AGENT_LOG_FILE (launchd's operator looks there)", () => {
    const logFile = join(dir, "real", "clawops-agent.log");
    const stateDir = join(dir, "not-enrolled");
    const run = spawnSync(process.execPath, [AGENT_MAIN, "run", "--dir", stateDir], {
      env: { ...process.env, CLAWOPS_AGENT_LOG_FILE: logFile },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    const entries = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(entries.at(-1)).toMatchObject({ level: "error", component: "clawops-agent", msg: "agent failed" });
    expect(String(entries.at(-1).err)).toContain(stateDir);
  });
});
