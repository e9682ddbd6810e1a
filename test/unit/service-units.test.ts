import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseEnvFile,
  readServiceTokens,
  splitSystemdWords,
  tokenArg,
} from "../../src/agent/probes/host/service-units.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawops-units-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("service unit token sources", () => {
  it("reads Environment=, EnvironmentFile=, ExecStart --token and drop-ins of openclaw units only", async () => {
    const units = join(dir, "systemd");
    await mkdir(join(units, "openclaw-gateway.service.d"), { recursive: true });
    await writeFile(join(dir, "gateway.env"), "# env\nexport OPENCLAW_GATEWAY_TOKEN='from-env-file'\nOTHER=1\n");
    await writeFile(
      join(units, "openclaw-gateway.service"),
      `[Unit]
Description=OpenClaw Gateway
[Service]
Environment="NODE_ENV=production" "OPENCLAW_GATEWAY_TOKEN=from-environment"
EnvironmentFile=-${join(dir, "gateway.env")}
ExecStart=/usr/bin/openclaw gateway run \\
  --port 18789 --token from-execstart
`,
    );
    await writeFile(
      join(units, "openclaw-gateway.service.d", "override.conf"),
      "[Service]\nEnvironment=OPENCLAW_GATEWAY_TOKEN=from-dropin\n",
    );
    await writeFile(join(units, "nginx.service"), "[Service]\nEnvironment=OPENCLAW_GATEWAY_TOKEN=not-ours\n");

    const launchd = join(dir, "LaunchAgents");
    await mkdir(launchd);
    await writeFile(
      join(launchd, "ai.openclaw.gateway.plist"),
      `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>ProgramArguments</key><array><string>/opt/openclaw</string><string>gateway</string><string>--token=plist&amp;argv</string></array>
  <key>EnvironmentVariables</key><dict><key>PATH</key><string>/usr/bin</string><key>OPENCLAW_GATEWAY_TOKEN</key><string>plist-env</string></dict>
</dict></plist>`,
    );

    const readings = await readServiceTokens([units, launchd, join(dir, "missing")]);
    expect(readings.map((r) => [r.token, r.via])).toEqual([
      ["from-environment", "env"],
      ["from-env-file", "env"],
      ["from-execstart", "argv"],
      ["from-dropin", "env"],
      ["plist-env", "env"],
      ["plist&argv", "argv"],
    ]);
    expect(readings[1]?.where).toContain("EnvironmentFile of");
  });

  it("splits systemd words with quotes", () => {
    expect(splitSystemdWords(`A=1 "B=two words" 'C=x' D="q"`)).toEqual(["A=1", "B=two words", "C=x", "D=q"]);
  });

  it("parses env files", () => {
    expect(parseEnvFile('A=1\n# c\nexport B="two"\nC=three # trailing\n  D = 4 ')).toEqual({
      A: "1",
      B: "two",
      C: "three",
      D: "4",
    });
  });

  it("finds --token in argv", () => {
    expect(tokenArg(["run", "--token", "x"])).toBe("x");
    expect(tokenArg(["run", "--token=y"])).toBe("y");
    expect(tokenArg(["run", "--token"])).toBeUndefined();
    expect(tokenArg(["run"])).toBeUndefined();
  });
});
