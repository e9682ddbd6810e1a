import { describe, expect, it } from "vitest";
import { scanLogText } from "../../src/agent/probes/log-signatures.ts";
import {
  journalJsonToLines,
  parseDockerInspect,
  parseLaunchctlPrint,
  parseSystemdShow,
} from "../../src/agent/probes/service-state.ts";
import { type ServiceStateData, TRIAGE_STEP_NAMES } from "../../src/contract/catalog.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";
import { gatewayDownData, healthyData, toResults } from "../support/evidence.ts";

/**
 * The service manager's view, on output in the shapes systemd 252, Docker 28 and launchd print
 * (systemd is not PID 1 on this machine; the live path runs through test/support/standin-bin).
 */
const SHOW_CRASH_LOOP = [
  "Id=openclaw-gateway.service",
  "LoadState=loaded",
  "ActiveState=activating",
  "SubState=auto-restart",
  "Result=exit-code",
  "NRestarts=7",
  "MainPID=0",
  "ExecMainCode=1",
  "ExecMainStatus=78",
  "",
].join("\n");

describe("service manager output", () => {
  it("systemctl show: a crash loop with exit 78", () => {
    expect(parseSystemdShow(SHOW_CRASH_LOOP)).toEqual({
      active: "activating",
      sub: "auto-restart",
      restarts: 7,
      mainPid: null,
      lastExit: { code: 78, signal: null },
      result: "exit-code",
    });
  });

  it("systemctl show: killed by SIGKILL (ExecMainCode=2, status = the signal number)", () => {
    const st = parseSystemdShow(
      "ActiveState=active\nSubState=running\nNRestarts=1\nMainPID=4242\nExecMainCode=2\nExecMainStatus=9\nResult=oom-kill\n",
    );
    expect(st).toMatchObject({ mainPid: 4242, lastExit: { code: null, signal: "SIGKILL" }, result: "oom-kill" });
  });

  it("systemctl show: an unknown unit is not-found, garbage is unreadable (null), never a throw", () => {
    expect(parseSystemdShow("Id=x.service\nLoadState=not-found\nActiveState=inactive\n")?.active).toBe("not-found");
    expect(parseSystemdShow("")).toBeNull();
    expect(parseSystemdShow("\u0000\u0001 binary junk")).toBeNull();
  });

  it("docker inspect: restarting with exit 78, and OOM-killed (137)", () => {
    expect(
      parseDockerInspect(
        '{"Status":"restarting","Running":true,"Paused":false,"Restarting":true,"OOMKilled":false,"Dead":false,"Pid":0,"ExitCode":78,"Error":"","StartedAt":"2026-11-22T10:00:00Z","FinishedAt":"2026-11-22T10:00:11Z"} 12\n',
      ),
    ).toEqual({
      active: "restarting",
      sub: "restarting",
      restarts: 12,
      mainPid: null,
      lastExit: { code: 78, signal: null },
      result: null,
    });
    expect(
      parseDockerInspect('{"Status":"running","Restarting":false,"OOMKilled":true,"Pid":9911,"ExitCode":137} 2'),
    ).toMatchObject({
      active: "running",
      mainPid: 9911,
      lastExit: { code: 137, signal: "SIGKILL" },
      result: "oom-killed",
    });
    expect(parseDockerInspect('{"Status":')).toBeNull();
    expect(parseDockerInspect("Error: No such object: gw")).toBeNull();
  });

  it("launchctl print: state, runs and last exit code", () => {
    const text = [
      "gui/501/ai.openclaw.gateway = {",
      "\tactive count = 0",
      "\tpath = /Users/ops/Library/LaunchAgents/ai.openclaw.gateway.plist",
      "\tstate = not running",
      "\truns = 9",
      "\tlast exit code = 78: EX_CONFIG",
      "}",
    ].join("\n");
    expect(parseLaunchctlPrint(text)).toMatchObject({ active: "not running", restarts: 8, lastExit: { code: 78 } });
    expect(
      parseLaunchctlPrint("\tstate = running\n\tpid = 812\n\truns = 1\n\tlast exit code = (never exited)\n"),
    ).toEqual({
      active: "running",
      sub: null,
      restarts: 0,
      mainPid: 812,
      lastExit: null,
      result: null,
    });
  });

  it("journalctl -o json: the gateway's own stamps win, byte-array messages decode, junk lines are skipped", () => {
    const entries = [
      { __REALTIME_TIMESTAMP: "1795000000000000", MESSAGE: "2026-11-22T10:00:01.000+00:00 [gateway] ready" },
      {
        __REALTIME_TIMESTAMP: "1795000005000000",
        MESSAGE: "Gateway failed to start: refusing to bind gateway to lan without auth",
      },
      {
        __REALTIME_TIMESTAMP: "1795000006000000",
        MESSAGE: [...new TextEncoder().encode("[gateway] parse/handle error: \u00ff")],
      },
    ];
    const text = `${entries.map((e) => JSON.stringify(e)).join("\n")}\n{"__REALTIME_TIM`;
    const lines = journalJsonToLines(text).split("\n");
    expect(lines[0]).toBe("2026-11-22T10:00:01.000+00:00 [gateway] ready");
    expect(lines[1]).toMatch(/^2026-11-18T11:06:45\.000Z Gateway failed to start/);
    const scan = scanLogText(journalJsonToLines(text));
    expect(scan.signatures.map((s) => s.kind).sort()).toEqual([
      "gateway-ready",
      "parse-error",
      "refusing-to-bind",
      "start-failed",
    ]);
    expect(scan.linesSkipped).toBe(1);
  });
});

function withService(
  service: ServiceStateData,
  mutate?: (d: ReturnType<typeof healthyData>) => void,
  base = healthyData,
) {
  const d = base();
  mutate?.(d);
  d.service = service;
  return classifyResults(toResults(d), TRIAGE_STEP_NAMES);
}

const systemd = (state: ServiceStateData["state"], extra: Partial<ServiceStateData> = {}): ServiceStateData => ({
  supervisor: "systemd",
  source: "detected",
  unit: "user unit openclaw-gateway.service",
  listenerPid: null,
  state,
  command: "systemctl --user show openclaw-gateway.service --no-pager --property=…",
  journal: null,
  ...extra,
});

describe("supervisor rules", () => {
  it("a unit in a restart loop with exit 78 → supervisor-restart-loop first, naming the exit", () => {
    const c = withService(systemd(parseSystemdShow(SHOW_CRASH_LOOP)), undefined, gatewayDownData);
    expect(c.matrix.service.status).toBe("fail");
    const top = c.findings.find((f) => f.layer === "service");
    expect(top?.id).toBe("supervisor-restart-loop");
    expect(top?.evidence.join("\n")).toContain("exit 78: the gateway refused its config");
  });

  it("a failed unit (two restarts, exit 1) → supervisor-unit-failed with the port-taken meaning", () => {
    const c = withService(
      systemd({
        active: "failed",
        sub: "failed",
        restarts: 2,
        mainPid: null,
        lastExit: { code: 1, signal: null },
        result: "exit-code",
      }),
    );
    const f = c.findings.find((x) => x.id === "supervisor-unit-failed");
    expect(f?.evidence.join("\n")).toContain("port is taken");
    expect(c.findings.map((x) => x.id)).not.toContain("supervisor-restart-loop");
  });

  it("an OOM kill that systemd recovered from → supervisor-killed (warn), service ok", () => {
    const c = withService(
      systemd(
        {
          active: "active",
          sub: "running",
          restarts: 1,
          mainPid: 8088,
          lastExit: { code: null, signal: "SIGKILL" },
          result: "oom-kill",
        },
        { listenerPid: 8088 },
      ),
    );
    expect(c.findings.find((x) => x.id === "supervisor-killed")?.severity).toBe("warn");
    expect(c.matrix.service.status).not.toBe("fail");
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
  });

  it("the unit's main pid is not the one on the port → supervisor-pid-mismatch", () => {
    const c = withService(
      systemd(
        { active: "active", sub: "running", restarts: 0, mainPid: 5150, lastExit: null, result: "success" },
        { listenerPid: 8088 },
      ),
    );
    expect(c.findings.find((x) => x.id === "supervisor-pid-mismatch")?.evidence.join("\n")).toContain(
      "pid 8088 listens on the gateway port, the supervisor's main pid is 5150",
    );
  });

  it("a healthy unit, a manual process, and an unreadable manager: no supervisor finding", () => {
    for (const service of [
      systemd(
        { active: "active", sub: "running", restarts: 0, mainPid: 8088, lastExit: null, result: "success" },
        { listenerPid: 8088 },
      ),
      { supervisor: "manual", source: "detected", listenerPid: 8088, state: null, journal: null } as ServiceStateData,
      systemd(null, { error: "`systemctl --user show …` exited 1: Failed to connect to bus" }),
    ]) {
      const c = withService(service);
      expect(c.findings.filter((f) => f.id.startsWith("supervisor-"))).toEqual([]);
      expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
    }
  });

  it("journal lines feed the log rules when the file log has none (a start refused before the file logger)", () => {
    const c = withService(
      systemd(
        {
          active: "failed",
          sub: "failed",
          restarts: 1,
          mainPid: null,
          lastExit: { code: 78, signal: null },
          result: "exit-code",
        },
        {
          journal: {
            command: "journalctl --user -u openclaw-gateway.service -n 300 --no-pager -o json",
            linesScanned: 3,
            signatures: scanLogText(
              "2026-11-22T10:00:05.000Z Gateway failed to start: refusing to bind gateway to 0.0.0.0:18789 without auth (set gateway.auth.token/password)",
            ).signatures,
          },
        },
      ),
      undefined,
      gatewayDownData,
    );
    const refusing = c.findings.find((f) => f.id === "refusing-to-bind");
    expect(refusing?.evidence[0]).toContain("journalctl --user -u openclaw-gateway.service");
  });
});
