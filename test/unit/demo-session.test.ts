import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type DemoFile, type DemoGateway, type DemoParts, runDemo } from "../../scripts/demo-session.ts";

/**
 * Issue 45, item 9: `npm run demo` with a data folder that did not exist yet failed writing
 * demo.json after its gateway had started (ENOENT), then hung with the 1 GB gateway still running.
 * The demo's running part with a stand-in gateway and control server that record what was done to
 * them (no real gateway starts here), and a control plane that is a real short process: the folder
 * is made first, and no failure after the gateway started leaves it running.
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

class StandInGateway implements DemoGateway {
  readonly url = "ws://127.0.0.1:9";
  readonly labDir = "/nonexistent/lab";
  readonly pid = undefined;
  readonly env = { OPENCLAW_GATEWAY_PORT: "9" };
  started = false;
  disposed = false;
  async start(): Promise<void> {
    this.started = true;
  }
  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

function parts(dataDir: string, spawnControlPlane: DemoParts<never, StandInGateway>["spawnControlPlane"]) {
  const gateway = new StandInGateway();
  const control = { closed: false };
  const lines: string[] = [];
  const p: DemoParts<{ version: string; openclawBin: string }, StandInGateway> = {
    dataDir,
    demoFile: join(dataDir, "demo.json"),
    host: "demo",
    install: async () => ({ version: "2026.9.6", openclawBin: "/nonexistent/openclaw" }),
    createGateway: async () => gateway,
    startControl: async () => ({
      address: { url: "http://127.0.0.1:9", token: "t" },
      close: async () => {
        control.closed = true;
      },
    }),
    spawnControlPlane,
    say: (line) => lines.push(line),
    signals: new EventEmitter(),
  };
  return { p, gateway, control, lines };
}

describe("npm run demo's running part (a stand-in gateway)", () => {
  it("a data folder that does not exist yet is made (0700) before demo.json is written; the run ends with the gateway disposed", async () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-demo-session-"));
    dirs.push(root);
    const dataDir = join(root, "new", "data");
    let seen: DemoFile | null = null;
    const { p, gateway, control } = parts(dataDir, (env) => {
      // What the control plane would find at its start: demo.json in its data folder.
      seen = JSON.parse(readFileSync(join(env.CLAWOPS_DATA_DIR ?? "", "demo.json"), "utf8")) as DemoFile;
      return spawn(process.execPath, ["-e", "process.exit(0)"], { stdio: ["ignore", "pipe", "ignore"] });
    });
    const code = await Promise.race([
      runDemo(p),
      new Promise((r) => setTimeout(() => r("still running after 20 s"), 20_000)),
    ]);
    expect(code).toBe(0);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect((seen as DemoFile | null)?.gateway).toBe("ws://127.0.0.1:9");
    expect(gateway.started).toBe(true);
    expect(gateway.disposed).toBe(true);
    expect(control.closed).toBe(true);
    expect(existsSync(join(dataDir, "demo.json"))).toBe(false);
  }, 90_000);

  it("a failure after the gateway started (the control plane cannot be started) disposes of the gateway and says why", async () => {
    const root = mkdtempSync(join(tmpdir(), "clawops-demo-session-"));
    dirs.push(root);
    const dataDir = join(root, "data");
    mkdirSync(dataDir, { mode: 0o700 });
    const { p, gateway, control } = parts(dataDir, (): ChildProcess => {
      throw Object.assign(new Error("spawn node EACCES"), { code: "EACCES" });
    });
    const outcome = await Promise.race([
      runDemo(p).then(
        (code) => `ended ${code}`,
        (err: Error) => `failed: ${err.message}`,
      ),
      new Promise((r) => setTimeout(() => r("still running after 20 s"), 20_000)),
    ]);
    expect(outcome).toBe("failed: spawn node EACCES");
    expect(gateway.disposed).toBe(true);
    expect(control.closed).toBe(true);
    expect(existsSync(join(dataDir, "demo.json"))).toBe(false);
  }, 90_000);
});
