import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT_DOWNLOADS_PER_MINUTE } from "../../src/adapters/http/agent-routes.ts";
import { parsePublicUrl } from "../../src/node/public-url.ts";
import { type ControlPlane, startControlPlane } from "../../src/node/server.ts";
import { type ConsoleServer, startConsoleServer } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";

/**
 * `GET /agent/*` on the Node control plane (in this process): what the install command fetches,
 * with CLAWOPS_PUBLIC_URL set, the rate limit, and a control plane that does not serve the agent.
 * The install itself, end to end: test/unit/agent-install.test.ts.
 */
const PUBLIC = "https://clawops.example.com/ops";
const logs: string[] = [];
const quiet = {
  info: (m: string) => logs.push(`info ${m}`),
  warn: (m: string) => logs.push(`warn ${m}`),
  error: (m: string) => logs.push(`error ${m}`),
};

let cp: ControlPlane;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "clawops-agent-routes-"));
  cp = await startControlPlane({
    port: 0,
    bind: "127.0.0.1",
    dataDir: dir,
    console: true,
    logger: quiet,
    publicUrl: PUBLIC,
  });
});

afterAll(async () => {
  await cp.close();
  rmSync(dir, { recursive: true, force: true });
});

const command = async (text: string) =>
  (await (
    await fetch(`${cp.url}/api/console/command`, {
      method: "POST",
      headers: { "content-type": "application/json", ...cp.consoleHeaders() },
      body: JSON.stringify({ text }),
    })
  ).json()) as { ack: { text: string } };

describe("with CLAWOPS_PUBLIC_URL", () => {
  it("enroll prints the install command at the public URL, and the served script names it and the agent's SHA-256", async () => {
    const reply = (await command("enroll node-7")).ack.text;
    const code = /Enrollment code for node-7: ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}) /.exec(reply)?.[1];
    expect(reply).toContain(`\ncurl -fsSL ${PUBLIC}/agent/install.sh | sh -s -- --host node-7 --code ${code}\n`);
    expect(reply).not.toContain("loopback");

    const agent = await fetch(`${cp.url}/agent/clawops-agent.mjs`);
    expect(agent.status).toBe(200);
    expect(agent.headers.get("cache-control")).toBe("no-store");
    const sha256 = createHash("sha256")
      .update(Buffer.from(await agent.arrayBuffer()))
      .digest("hex");
    expect(await (await fetch(`${cp.url}/agent/clawops-agent.mjs.sha256`)).text()).toBe(
      `${sha256}  clawops-agent.mjs\n`,
    );
    const script = await (await fetch(`${cp.url}/agent/install.sh`)).text();
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain(`\nCLAWOPS_URL='${PUBLIC}'\n`);
    expect(script).toContain(`\nAGENT_SHA256='${sha256}'\n`);
    expect(script).not.toMatch(/@@[A-Z_0-9]+@@/);
    // The units as the repository has them, for the script to point at the host's paths.
    const unit = await (await fetch(`${cp.url}/agent/clawops-agent.service`)).text();
    expect(unit).toBe(readFileSync(new URL("../../infra/systemd/clawops-agent.service", import.meta.url), "utf8"));
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node .*\/opt\/clawops\/clawops-agent\.mjs run$/m);
    const plist = await (await fetch(`${cp.url}/agent/ai.clawops.agent.plist`)).text();
    expect(plist).toContain("<string>/opt/homebrew/bin/node</string>");
    expect(logs.filter((l) => l === "info agent ready to serve to hosts")).toHaveLength(1);
  });

  it("refuses downloads past the per-minute cap with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < AGENT_DOWNLOADS_PER_MINUTE + 5; i++) {
      last = await fetch(`${cp.url}/agent/clawops-agent.mjs.sha256`);
      statuses.push(last.status);
      await last.arrayBuffer();
    }
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(5);
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});

describe("CLAWOPS_PUBLIC_URL", () => {
  it("accepts a plain http(s) URL and drops a trailing slash", () => {
    expect(parsePublicUrl(undefined)).toBeNull();
    expect(parsePublicUrl(" ")).toBeNull();
    expect(parsePublicUrl("https://clawops.example.com/")).toBe("https://clawops.example.com");
    expect(parsePublicUrl("http://10.0.0.5:8787")).toBe("http://10.0.0.5:8787");
    expect(parsePublicUrl("http://[fd00::5]:8787")).toBe("http://[fd00::5]:8787");
  });

  it("refuses what a shell would read differently, and says what it expects", () => {
    for (const bad of [
      "clawops.example.com",
      "ftp://clawops.example.com",
      "https://clawops.example.com/?x=1",
      "https://clawops.example.com/$(reboot)",
      "https://clawops.example.com/a'b",
      "https://user:pw@clawops.example.com",
    ])
      expect(() => parsePublicUrl(bad), bad).toThrow(/is not a plain http\(s\) URL/);
  });
});

describe("a control plane that does not serve the agent", () => {
  let server: ConsoleServer;
  beforeAll(async () => {
    server = await startConsoleServer(new FakeHostTransport(), []);
  });
  afterAll(async () => {
    await server.close();
  });

  it("answers 501 saying so", async () => {
    const res = await fetch(`${server.url}/agent/install.sh`);
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({
      ok: false,
      error: {
        code: "not_configured",
        message: "This control plane does not serve the agent: install it by hand (docs/agents-and-ssm.md).",
      },
    });
  });
});
