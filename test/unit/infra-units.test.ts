import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { DockerfileParser } from "dockerfile-ast";
import * as plist from "plist";
import { afterAll, describe, expect, it } from "vitest";
import { AGENT_NODE_FLAGS, AGENT_SERVICE_ENV } from "../../scripts/build-agent.ts";
import { SECRET_NAMES } from "../../src/node/secrets.ts";

/**
 * The shipped service definitions (issue 18 items 2 and 3): the systemd units score ≤ 3.0 in
 * `systemd-analyze security`, every hardening line says what it is for, the agent unit and the
 * launchd plist run the agent as scripts/build-agent.ts says, the plist finds a Homebrew
 * `openclaw` and logs outside /tmp, and the container image runs as a non-root user with a health
 * check and no secret in it. Running the agent under the unit's sandbox: test/gateway/agent-sandbox.test.ts.
 */
const ROOT = join(import.meta.dirname, "../..");
const AGENT_UNIT = join(ROOT, "infra/systemd/clawops-agent.service");
const CP_UNIT = join(ROOT, "infra/systemd/clawops.service");
const PLIST = join(ROOT, "infra/launchd/ai.clawops.agent.plist");
const DOCKERFILE = join(ROOT, "infra/container/Dockerfile");
const MAX_EXPOSURE = 3.0;

const scratch = mkdtempSync(join(tmpdir(), "clawops-infra-units-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Directive = { key: string; value: string; line: number };
/** `[Section]` → its `Key=Value` lines (continuation lines joined), with line numbers. */
function unitSections(text: string): Map<string, Directive[]> {
  const sections = new Map<string, Directive[]>();
  let current: Directive[] | null = null;
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = [];
      sections.set(header[1] as string, current);
      continue;
    }
    if (!current || line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    let full = line;
    while (full.endsWith("\\") && i + 1 < lines.length) full = `${full.slice(0, -1)} ${(lines[++i] as string).trim()}`;
    const eq = full.indexOf("=");
    current.push({ key: full.slice(0, eq).trim(), value: full.slice(eq + 1).trim(), line: i });
  }
  return sections;
}

function service(text: string): Directive[] {
  const s = unitSections(text).get("Service");
  if (!s) throw new Error("no [Service] section");
  return s;
}

function values(text: string, key: string): string[] {
  return service(text)
    .filter((d) => d.key === key)
    .map((d) => d.value);
}

const hasSystemdAnalyze = spawnSync("systemd-analyze", ["--version"]).status === 0;

/** `systemd-analyze security --offline=true --threshold=30`: its exit status and the exposure it printed. */
function securityScore(path: string): { status: number | null; exposure: number; output: string } {
  const run = spawnSync(
    "systemd-analyze",
    ["security", "--offline=true", `--threshold=${MAX_EXPOSURE * 10}`, "--no-pager", path],
    { encoding: "utf8", env: { ...process.env, SYSTEMD_COLORS: "0" } },
  );
  const output = `${run.stdout}\n${run.stderr}`;
  const m = /Overall exposure level for \S+: (\d+(?:\.\d+)?)/.exec(output);
  if (!m) throw new Error(`systemd-analyze printed no exposure level:\n${output}`);
  return { status: run.status, exposure: Number(m[1]), output };
}

describe.skipIf(!hasSystemdAnalyze)("systemd-analyze security (offline) of the shipped units", () => {
  for (const unit of [AGENT_UNIT, CP_UNIT]) {
    it(`${unit.split("/").pop()} scores ${MAX_EXPOSURE} or below`, () => {
      const score = securityScore(unit);
      expect(score.exposure, score.output).toBeLessThanOrEqual(MAX_EXPOSURE);
      // --threshold=30 is the same check, done by systemd-analyze itself.
      expect(score.status, score.output).toBe(0);
    });
  }

  it("fails the unit the agent shipped before hardening (the check can fail)", () => {
    const old = join(scratch, "clawops-agent.service");
    writeFileSync(
      old,
      "[Unit]\nDescription=x\n[Service]\nUser=openclaw\nExecStart=/usr/bin/node /opt/clawops/clawops-agent.mjs run\nNoNewPrivileges=true\nMemoryMax=256M\n",
    );
    const score = securityScore(old);
    expect(score.exposure).toBeGreaterThan(MAX_EXPOSURE);
    expect(score.status).not.toBe(0);
  });
});

describe("what each hardening line is for", () => {
  for (const unit of [AGENT_UNIT, CP_UNIT]) {
    it(`${unit.split("/").pop()}: every group of [Service] lines has a comment above it`, () => {
      const lines = readFileSync(unit, "utf8").split("\n");
      const uncommented: string[] = [];
      for (const d of service(readFileSync(unit, "utf8"))) {
        // Walk up through the directives of the same group (no blank line between) to a comment.
        let i = d.line - 1;
        while (i >= 0 && /^[A-Za-z]+=/.test((lines[i] as string).trim())) i--;
        if (!(lines[i] ?? "").trim().startsWith("#")) uncommented.push(`${d.key}=${d.value}`);
      }
      expect(uncommented).toEqual([]);
    });
  }
});

describe("agent unit", () => {
  const text = readFileSync(AGENT_UNIT, "utf8");

  it("runs the agent with the service's Node flags and environment (scripts/build-agent.ts)", () => {
    const [exec] = values(text, "ExecStart");
    const argv = (exec as string).split(/\s+/);
    expect(isAbsolute(argv[0] as string)).toBe(true);
    expect(argv.slice(1)).toEqual([...AGENT_NODE_FLAGS, "/opt/clawops/clawops-agent.mjs", "run"]);
    for (const [k, v] of Object.entries(AGENT_SERVICE_ENV)) expect(values(text, "Environment")).toContain(`${k}=${v}`);
  });

  it("runs as the gateway's user, with no capabilities, and can still do its job", () => {
    expect(values(text, "User")).toEqual(["openclaw"]);
    expect(values(text, "CapabilityBoundingSet")).toEqual([""]);
    expect(values(text, "NoNewPrivileges")).toEqual(["true"]);
    expect(values(text, "ProtectSystem")).toEqual(["strict"]);
    // Homes readable (the gateway's config and state, a Node under ~/.nvm), not hidden.
    expect(values(text, "ProtectHome")).toEqual(["read-only"]);
    // Writes: its state folder, OpenClaw's state dir (CLI probes, doctor.fix), /tmp/openclaw (CLI log).
    const rw = values(text, "ReadWritePaths").join(" ").split(/\s+/);
    expect(rw).toEqual(expect.arrayContaining(["-/home/openclaw/.clawops-agent", "-/home/openclaw/.openclaw", "/tmp"]));
    // /proc/net/tcp (port owners) and other users' gateway processes stay visible; the real /tmp/openclaw log too.
    expect(values(text, "ProcSubset")).not.toContain("pid");
    expect(values(text, "ProtectProc")).not.toContain("invisible");
    expect(values(text, "PrivateTmp")).not.toContain("true");
    expect(values(text, "PrivateUsers")).not.toContain("true");
    expect(values(text, "RemoveIPC")).not.toContain("true");
    // V8 needs writable-then-executable code pages.
    expect(values(text, "MemoryDenyWriteExecute")).not.toContain("true");
    // Loopback to the gateway, out to the control plane, D-Bus/journal/docker sockets, getifaddrs.
    expect(values(text, "RestrictAddressFamilies").join(" ").split(/\s+/).sort()).toEqual(
      ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"].sort(),
    );
  });
});

describe("control-plane unit", () => {
  const text = readFileSync(CP_UNIT, "utf8");

  it("runs as its own user with a state folder, secrets from a root-only env file, restarts on failure", () => {
    const [user] = values(text, "User");
    expect(user).toBeTruthy();
    expect(user).not.toBe("root");
    expect(values(text, "StateDirectory")).toEqual(["clawops"]);
    expect(values(text, "StateDirectoryMode")).toEqual(["0700"]);
    expect(values(text, "Environment")).toContain("CLAWOPS_DATA_DIR=/var/lib/clawops");
    // Required (no "-"), so a missing secrets file is a start failure, not a console-only start.
    expect(values(text, "EnvironmentFile")).toEqual(["/etc/clawops/clawops.env"]);
    expect(values(text, "Restart")).toEqual(["on-failure"]);
    // No secret in the unit itself (it is world-readable and shown by `systemctl show`).
    for (const env of values(text, "Environment")) {
      const name = env.split("=")[0] as string;
      expect(SECRET_NAMES as readonly string[]).not.toContain(name);
      expect(name).not.toMatch(/TOKEN|SECRET|PASSWORD/);
    }
    const [exec] = values(text, "ExecStart");
    const [wd] = values(text, "WorkingDirectory");
    // The entry point it names exists in the checkout, relative to WorkingDirectory.
    expect(exec).toBe(`${wd}/node_modules/.bin/node src/node/main.ts`);
    expect(readFileSync(join(ROOT, "src/node/main.ts"), "utf8")).toContain("startControlPlane");
  });
});

describe("launchd plist", () => {
  const parsed = plist.parse(readFileSync(PLIST, "utf8")) as Record<string, unknown>;

  it("is a well-formed plist whose program is the agent with the service's Node flags", () => {
    expect(parsed.Label).toBe("ai.clawops.agent");
    const args = parsed.ProgramArguments as string[];
    expect(isAbsolute(args[0] as string)).toBe(true);
    expect(args.slice(1)).toEqual([...AGENT_NODE_FLAGS, "/opt/clawops/clawops-agent.mjs", "run"]);
    expect(parsed.RunAtLoad).toBe(true);
    expect(parsed.KeepAlive).toBe(true);
  });

  it("sets a PATH where a Homebrew `openclaw` and Node are found before the system's", () => {
    const env = parsed.EnvironmentVariables as Record<string, string>;
    const path = env.PATH?.split(":") ?? [];
    for (const brew of ["/opt/homebrew/bin", "/usr/local/bin"]) {
      expect(path).toContain(brew);
      expect(path.indexOf(brew)).toBeLessThan(path.indexOf("/usr/bin"));
    }
    expect(path).toEqual(expect.arrayContaining(["/usr/bin", "/bin", "/usr/sbin", "/sbin"]));
  });

  it("logs to a rotated file in /Library/Logs/clawops, not /tmp", () => {
    const env = parsed.EnvironmentVariables as Record<string, string>;
    const logFile = env.CLAWOPS_AGENT_LOG_FILE as string;
    const stderr = parsed.StandardErrorPath as string;
    expect(logFile).toBe("/Library/Logs/clawops/clawops-agent.log");
    expect(dirname(stderr)).toBe(dirname(logFile));
    for (const p of [logFile, stderr]) expect(p.startsWith("/tmp")).toBe(false);
  });

  it("rejects a malformed plist (the parser is strict)", () => {
    expect(() => plist.parse("<plist><dict><key>A</key><string>x</dict></plist>")).toThrow();
  });
});

describe("container image (static: no Docker daemon or base image here)", () => {
  const text = readFileSync(DOCKERFILE, "utf8");
  const parsed = DockerfileParser.parse(text);
  const stages: { keyword: string; args: string[]; text: string }[][] = [];
  for (const i of parsed.getInstructions()) {
    if (i.getKeyword() === "FROM") stages.push([]);
    stages.at(-1)?.push({
      keyword: i.getKeyword(),
      args: i.getArgumentsContent() === null ? [] : i.getArguments().map((a) => a.getValue()),
      text: i.getTextContent(),
    });
  }
  const final = stages.at(-1) ?? [];
  const of = (k: string) => final.filter((i) => i.keyword === k);

  it("runs as a non-root numeric user", () => {
    const users = of("USER");
    expect(users.length).toBe(1);
    const [user] = (users[0]?.args[0] ?? "").split(":");
    expect(user).toMatch(/^\d+$/);
    expect(Number(user)).toBeGreaterThan(0);
  });

  it("has a health check against /livez, exposes the port and keeps state in a volume", () => {
    const health = of("HEALTHCHECK");
    expect(health.length).toBe(1);
    expect(health[0]?.text).toContain("/livez");
    const env = Object.fromEntries(
      of("ENV").flatMap((i) => [...i.text.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)].map((m) => [m[1], m[2]])),
    ) as Record<string, string>;
    expect(of("EXPOSE").flatMap((i) => i.args)).toContain(env.CLAWOPS_PORT);
    expect(of("VOLUME")[0]?.text).toContain(env.CLAWOPS_DATA_DIR);
    expect(env.CLAWOPS_LOCAL_AGENT).toBe("0");
    expect(of("CMD")[0]?.text).toContain("src/node/main.ts");
  });

  it("bakes in no secret and copies no state folder", () => {
    for (const i of parsed.getInstructions()) {
      if (i.getKeyword() !== "ENV" && i.getKeyword() !== "ARG") continue;
      for (const name of [...i.getTextContent().matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] as string)) {
        expect(SECRET_NAMES as readonly string[]).not.toContain(name);
        expect(name).not.toMatch(/TOKEN|SECRET|PASSWORD|KEY/);
      }
    }
    const copied = parsed
      .getInstructions()
      .filter((i) => i.getKeyword() === "COPY" && !i.getTextContent().includes("--from="))
      .flatMap((i) =>
        i
          .getArguments()
          .slice(0, -1)
          .map((a) => a.getValue()),
      );
    expect(copied.sort()).toEqual(
      [
        "bin",
        "infra",
        "package-lock.json",
        "package-lock.json",
        "package.json",
        "package.json",
        "scripts/build-agent.ts",
        "src",
      ].sort(),
    );
    const ignore = readFileSync(`${DOCKERFILE}.dockerignore`, "utf8");
    expect(ignore).toMatch(/^\*\*$/m);
    expect(ignore).not.toMatch(/^!data/m);
  });
});
