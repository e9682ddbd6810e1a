import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Line } from "../../scripts/build-agent.ts";
import { parsePublicUrl } from "../../src/adapters/env/public-url.ts";
import { renderInstallScript } from "../../src/adapters/http/agent-files.ts";
import { AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE } from "../../src/adapters/http/agent-routes.ts";
import { loadAgent } from "../../src/node/agent-install.ts";
import type { ControlPlane } from "../../src/node/server.ts";
import { type ConsoleServer, startConsoleServer } from "../support/console-server.ts";
import { FakeHostTransport } from "../support/fake-transport.ts";
import { requestFrom } from "../support/from-address.ts";
import { collectingLogger } from "../support/harness.ts";
import { type NodePlane, startNodePlane } from "../support/node-plane.ts";

/**
 * `GET /agent/*` on the Node control plane (in this process): what the install command fetches,
 * with CLAWOPS_PUBLIC_URL set, the rate limit, and a control plane that does not serve the agent.
 * The install itself, end to end: test/unit/agent-install.test.ts.
 */
const PUBLIC = "https://clawops.example.com/ops";
const logger = collectingLogger();

let plane: NodePlane;
let cp: ControlPlane;

beforeAll(async () => {
  plane = await startNodePlane({ name: "agent-routes", logger, config: { publicUrl: PUBLIC } });
  cp = plane.cp;
});

afterAll(() => plane.close());

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
    expect(logger.messages("info").filter((m) => m === "agent ready to serve to hosts")).toHaveLength(1);
  });

  it("refuses one source's downloads past its per-minute cap with 429 and Retry-After", async () => {
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof requestFrom>> | null = null;
    for (let i = 0; i < AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE + 5; i++) {
      last = await requestFrom("127.0.0.200", `${cp.url}/agent/clawops-agent.mjs.sha256`);
      statuses.push(last.status);
    }
    expect(statuses.slice(0, AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(AGENT_DOWNLOADS_PER_SOURCE_PER_MINUTE).every((s) => s === 429)).toBe(true);
    expect(Number(last?.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("an install still gets through while anonymous downloads from many addresses fill the global ceiling (issue 32, item 5)", async () => {
    const flood: number[] = [];
    for (let a = 2; a < 14; a++) {
      const from = `127.0.0.${a}`;
      const batch = await Promise.all(
        Array.from({ length: 30 }, () => requestFrom(from, `${cp.url}/agent/clawops-agent.mjs.sha256`)),
      );
      flood.push(...batch.map((r) => r.status));
    }
    expect(flood.filter((s) => s === 429).length).toBeGreaterThan(0);
    // A flooding source is refused now: the installer it gets says so and fails (a 429 would
    // reach `curl -f … | sh` as nothing to run, and the pipeline would end 0).
    const refused = await requestFrom("127.0.0.3", `${cp.url}/agent/install.sh`);
    expect(refused.headers["x-clawops-error"]).toBe("too_many_attempts");
    const ran = runScript(refused.text);
    expect(ran.status).toBe(1);
    expect(ran.stderr).toMatch(
      /^clawops-install: Too many agent downloads in the last minute; try again in \d+ s\. Nothing was installed\.\n$/,
    );
    expect((await requestFrom("127.0.0.3", `${cp.url}/agent/clawops-agent.mjs`)).status).toBe(429);
    // ... and a host installing (the script, the agent, its digest, the unit) is served.
    const host = "127.0.0.99";
    for (const file of ["install.sh", "clawops-agent.mjs", "clawops-agent.mjs.sha256", "clawops-agent.service"]) {
      const res = await requestFrom(host, `${cp.url}/agent/${file}`);
      expect(res.status, `${file}: ${res.text.slice(0, 200)}`).toBe(200);
    }
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

  it("answers 501 saying so; its installer prints the same and exits 1", async () => {
    const res = await fetch(`${server.url}/agent/clawops-agent.mjs`);
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({
      ok: false,
      error: {
        code: "not_configured",
        message: "This control plane does not serve the agent: install it by hand (docs/agents-and-ssm.md).",
      },
    });
    const script = await fetch(`${server.url}/agent/install.sh`);
    expect(script.headers.get("x-clawops-error")).toBe("not_configured");
    const ran = runScript(await script.text());
    expect(ran.status).toBe(1);
    expect(ran.stderr).toBe(
      "clawops-install: This control plane does not serve the agent: install it by hand (docs/agents-and-ssm.md). Nothing was installed.\n",
    );
  });
});

/** A served script as `curl … | sh -s -- …` runs it: on sh's standard input. */
function runScript(script: string): { status: number | null; stderr: string } {
  const ran = spawnSync("sh", ["-s", "--", "--host", "node-1", "--code", "X"], { input: script, encoding: "utf8" });
  return { status: ran.status, stderr: ran.stderr };
}

describe("where esbuild cannot build the agent (issue 33, item 1)", () => {
  const noEsbuild = async () => 'The package "@esbuild/linux-x64" could not be found, and is needed by esbuild.';
  let folder: string;
  beforeAll(() => {
    folder = mkdtempSync(join(tmpdir(), "clawops-prebuilt-"));
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("serves the prebuilt agent only when it matches the SHA-256 written beside it", async () => {
    const prebuilt = join(folder, "clawops-agent.mjs");
    const code = "#!/usr/bin/env node\nconsole.log('clawops-agent 0.1.0');\n";
    writeFileSync(prebuilt, code);
    writeFileSync(`${prebuilt}.sha256`, sha256Line(code));
    const served = await loadAgent({ esbuildUnavailable: noEsbuild, prebuilt });
    expect(Buffer.from(served.agent).toString("utf8")).toBe(code);
    expect(served.from).toBe(prebuilt);

    writeFileSync(prebuilt, `${code}// changed after the build\n`);
    await expect(loadAgent({ esbuildUnavailable: noEsbuild, prebuilt })).rejects.toThrow(
      new RegExp(
        `^This control plane cannot serve the agent: esbuild cannot build it here \\(The package "@esbuild/linux-x64" could not be found, and is needed by esbuild\\.\\), and the prebuilt ${prebuilt} has SHA-256 [0-9a-f]{64}, not the [0-9a-f]{64} written when it was built: it is not served\\. Install clawops with its dependencies`,
      ),
    );
    rmSync(`${prebuilt}.sha256`);
    await expect(loadAgent({ esbuildUnavailable: noEsbuild, prebuilt })).rejects.toThrow(
      /has no \.sha256 beside it to check it against: it is not served\./,
    );
    rmSync(prebuilt);
    await expect(loadAgent({ esbuildUnavailable: noEsbuild, prebuilt })).rejects.toThrow(
      /, and there is no prebuilt \S+clawops-agent\.mjs\. Install clawops with its dependencies \(`npm ci --omit=dev` installs esbuild/,
    );
  });

  it("a control plane that cannot serve the agent issues no enrollment code and says why; its installer fails saying the same", async () => {
    const brokenPlane = await startNodePlane({
      name: "noagent",
      logger,
      config: (dir) => ({ agentFile: join(dir, "missing-agent.mjs") }),
    });
    const broken = brokenPlane.cp;
    try {
      const reply = (await (
        await fetch(`${broken.url}/api/console/command`, {
          method: "POST",
          headers: { "content-type": "application/json", ...broken.consoleHeaders() },
          body: JSON.stringify({ text: "enroll node-8" }),
        })
      ).json()) as { ack: { text: string }; error: { code: string; message: string } | null };
      expect(reply.error?.code).toBe("not_configured");
      expect(reply.error?.message).toMatch(
        /^No enrollment code was issued: a host could not install the agent from this control plane\. CLAWOPS_AGENT_FILE \S+missing-agent\.mjs does not run/,
      );
      expect(reply.ack.text).not.toMatch(/curl|[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}/);
      const ran = runScript(await (await fetch(`${broken.url}/agent/install.sh`)).text());
      expect(ran.status).toBe(1);
      expect(ran.stderr).toMatch(
        /^clawops-install: CLAWOPS_AGENT_FILE \S+missing-agent\.mjs does not run .* Nothing was installed\.\n$/,
      );
    } finally {
      await brokenPlane.close();
    }
  });
});

describe("the install script's own downloads (issue 33, item 1)", () => {
  it("stop with the control plane's reason, not only an HTTP status, and exit 1 having installed nothing", async () => {
    const folder = mkdtempSync(join(tmpdir(), "clawops-install-refused-"));
    const reason = "This Worker has no ASSETS binding, so it does not serve the agent.";
    const server = createServer((req, res) => {
      res.writeHead(501, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: false, error: { code: "not_configured", message: reason } }));
      req.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const script = renderInstallScript(
        readFileSync(new URL("../../infra/install/install.sh", import.meta.url), "utf8"),
        {
          publicUrl: url,
          sha256: "0".repeat(64),
          version: "0.1.0",
          nodeFlags: [],
          serviceEnv: {},
        },
      );
      const ran = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          "sh",
          ["-s", "--", "--host", "node-1", "--code", "X", "--foreground", "--prefix", join(folder, "opt")],
          {
            env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: folder },
            stdio: ["pipe", "ignore", "pipe"],
          },
        );
        let stderr = "";
        child.stderr.on("data", (d) => {
          stderr += d;
        });
        child.on("close", (code) => resolve({ code, stderr }));
        child.stdin.end(script);
      });
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain(
        `clawops-install: could not download ${url}/agent/clawops-agent.mjs: the control plane answered HTTP 501: ${reason}. Nothing was installed.\n`,
      );
      expect(existsSync(join(folder, "opt"))).toBe(false);
    } finally {
      server.close();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
