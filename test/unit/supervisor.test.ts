import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  detectSupervisor,
  supervisorFromCgroup,
  supervisorRestartCommand,
} from "../../src/agent/probes/host/supervisor.ts";
import { AgentPolicy } from "../../src/agent/schemas.ts";

/** cgroup files as the kernel writes them for each way of running a gateway (v2 unless noted). */
const CGROUPS = {
  systemdUser: "0::/user.slice/user-1000.slice/user@1000.service/app.slice/openclaw-gateway.service\n",
  systemdSystem: "0::/system.slice/openclaw-gateway.service\n",
  systemdV1:
    "12:pids:/system.slice/openclaw.service\n4:memory:/system.slice/openclaw.service\n1:name=systemd:/system.slice/openclaw.service\n0::/\n",
  loginShell: "0::/user.slice/user-1000.slice/session-3.scope\n",
  terminalApp:
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/app-org.gnome.Terminal.slice/vte-spawn-1.scope\n",
  docker: "0::/system.slice/docker-4f1c2a9b8e7d6c5b4a3928171615141312111009080706050403020100aabbcc.scope\n",
  dockerV1: "4:memory:/docker/4f1c2a9b8e7d6c5b4a3928171615141312111009080706050403020100aabbcc\n",
  podman: "0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-0123456789abcdef0123.scope/container\n",
  insideContainer: "0::/\n",
  empty: "",
};

describe("supervisor detection from /proc/<pid>/cgroup", () => {
  it.each([
    ["systemdUser", { kind: "systemd", unit: "openclaw-gateway.service", user: true }],
    ["systemdSystem", { kind: "systemd", unit: "openclaw-gateway.service", user: false }],
    ["systemdV1", { kind: "systemd", unit: "openclaw.service", user: false }],
    ["loginShell", { kind: "manual" }],
    ["terminalApp", { kind: "manual" }],
    ["docker", { kind: "container", container: "4f1c2a9b8e7d", engine: "docker" }],
    ["dockerV1", { kind: "container", container: "4f1c2a9b8e7d", engine: "docker" }],
    ["podman", { kind: "container", container: "0123456789ab", engine: "podman" }],
    ["insideContainer", { kind: "manual" }],
    ["empty", { kind: "manual" }],
  ] as const)("%s", (name, expected) => {
    expect(supervisorFromCgroup(CGROUPS[name])).toEqual(expected);
  });

  const proc = mkdtempSync(join(tmpdir(), "clawops-proc-"));
  afterAll(() => rmSync(proc, { recursive: true, force: true }));
  it("reads the process's cgroup file; a vanished process is manual, not an error", async () => {
    mkdirSync(join(proc, "4242"));
    writeFileSync(join(proc, "4242", "cgroup"), CGROUPS.systemdUser);
    expect(await detectSupervisor(proc, 4242)).toMatchObject({ kind: "systemd", user: true, source: "detected" });
    expect(await detectSupervisor(proc, 4243)).toEqual({ kind: "manual", source: "detected" });
  });
});

describe("restart commands: argv, never a shell string", () => {
  it.each([
    [
      { kind: "systemd", unit: "openclaw-gateway.service", user: true },
      1000,
      ["systemctl", "--user", "restart", "openclaw-gateway.service"],
    ],
    [{ kind: "systemd", unit: "openclaw.service", user: false }, 0, ["systemctl", "restart", "openclaw.service"]],
    [
      { kind: "launchd", label: "ai.openclaw.gateway" },
      501,
      ["launchctl", "kickstart", "-k", "gui/501/ai.openclaw.gateway"],
    ],
    [
      { kind: "launchd", label: "ai.openclaw.gateway" },
      0,
      ["launchctl", "kickstart", "-k", "system/ai.openclaw.gateway"],
    ],
    [
      { kind: "container", container: "openclaw-gateway", engine: "docker" },
      0,
      ["docker", "restart", "--time", "30", "openclaw-gateway"],
    ],
    [{ kind: "manual" }, 0, null],
  ] as const)("%j as uid %i", (s, uid, argv) => {
    expect(supervisorRestartCommand(s, uid)).toEqual(argv);
  });
});

describe("policy.json supervisor declarations", () => {
  it("accepts each kind and fills defaults", () => {
    expect(AgentPolicy.parse({ supervisor: { kind: "systemd", unit: "openclaw-gateway.service" } }).supervisor).toEqual(
      {
        kind: "systemd",
        unit: "openclaw-gateway.service",
        user: false,
      },
    );
    expect(AgentPolicy.parse({ supervisor: { kind: "container", container: "gw" } }).supervisor).toMatchObject({
      engine: "docker",
    });
    expect(
      AgentPolicy.parse({ supervisor: { kind: "launchd", label: "ai.openclaw.gateway" } }).supervisor,
    ).toBeDefined();
  });

  it.each([
    [{ kind: "systemd", unit: "openclaw; reboot" }, /unit name/],
    [{ kind: "systemd", unit: "openclaw-gateway" }, /\.service/],
    [{ kind: "container", container: "--privileged" }, /container name/],
    [{ kind: "launchd", label: "x", domain: "gui/../../x" }, /./],
    [{ kind: "upstart", job: "openclaw" }, /./],
  ])("rejects %j", (supervisor, message) => {
    const parsed = AgentPolicy.safeParse({ allow: [], supervisor });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(message);
  });
});
