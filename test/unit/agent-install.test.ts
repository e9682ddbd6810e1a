import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { CLI } from "../support/cli-process.ts";
import { type ControlPlaneProcess, spawnControlPlane } from "../support/control-plane-process.ts";
import { exitOf, type Netns, openNetns } from "../support/netns.ts";
import { bridgeIntoNetns } from "../support/netns-bridge.ts";
import { type Finished, runNode } from "../support/run-node.ts";

/**
 * Issue 18, item 1, as a user does it: a real control plane process (as `npm start` runs it),
 * `clawops enroll <host>` for the install command, and that exact command run as root in a
 * second network namespace that reaches the control plane only at its URL (test/support/
 * netns-bridge.ts), with a private /opt and /etc/systemd/system. There is no systemd there, so
 * the script runs the agent in the foreground (`--foreground`). The real `curl`, `sh`, the
 * agent built by the control plane, enrollment and the hub; the agent's gateway does not exist.
 */

type Run = Finished;

let work: string;
let cp: ControlPlaneProcess;

function clawops(args: string[]): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", CLAWOPS_DATA_DIR: cp.dataDir };
  delete env.CLAWOPS_URL;
  return runNode(CLI, ["--server", cp.url, ...args], env);
}

/** `clawops enroll <host>` and the one install command it prints. */
async function installCommand(host: string): Promise<{ command: string; code: string }> {
  const enroll = await clawops(["enroll", host]);
  expect(enroll.code, enroll.stderr).toBe(0);
  const code = new RegExp(`Enrollment code for ${host}: (\\S+) \\(one use`).exec(enroll.stdout)?.[1] ?? "";
  const commands = enroll.stdout.split("\n").filter((l) => l.startsWith("curl "));
  expect(commands).toEqual([`curl -fsSL ${cp.url}/agent/install.sh | sh -s -- --host ${host} --code ${code}`]);
  return { command: commands[0] ?? "", code };
}

/**
 * A host for the install: a netns with its own /opt, /etc/systemd/system and HOME (root's); with
 * `systemd`, also its own /run (holding /run/systemd/system) and `home` mounted as /root.
 */
async function openHost(
  name: string,
  tamper?: (path: string, body: Buffer) => Buffer,
  opts: { systemd?: boolean } = {},
): Promise<{
  ns: Netns;
  opt: string;
  units: string;
  home: string;
  /** The host's /usr/local/bin. */
  bin: string;
  close(): Promise<void>;
}> {
  const dir = join(work, name);
  const [opt, units, home, bin] = ["opt", "systemd-system", "root-home", "usr-local-bin"].map((d) => join(dir, d));
  for (const d of [opt, units, home, bin]) mkdirSync(d ?? "", { recursive: true });
  const ns = await openNetns();
  const bridge = await bridgeIntoNetns(ns, cp.url, { dir: work, ...(tamper ? { tamper } : {}) });
  // The script takes a host whose /run/systemd/system exists for one that runs systemd.
  const run = join(dir, "run");
  if (opts.systemd) mkdirSync(join(run, "systemd", "system"), { recursive: true });
  const mounted = await ns.run(
    "sh",
    [
      "-c",
      'mount --bind "$1" /opt && mount --bind "$2" /etc/systemd/system && mount --bind "$5" /usr/local/bin && if [ -n "$3" ]; then mount --bind "$3" /run && mount --bind "$4" /root; fi',
      "sh",
      opt ?? "",
      units ?? "",
      opts.systemd ? run : "",
      opts.systemd ? (home ?? "") : "",
      bin ?? "",
    ],
    {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      cwd: dir,
      timeoutMs: 10_000,
    },
  );
  if (mounted.code !== 0) throw new Error(`mount in the netns failed: ${mounted.stderr}`);
  return {
    ns,
    opt: opt ?? "",
    units: units ?? "",
    home: home ?? "",
    bin: bin ?? "",
    async close() {
      await ns.close();
      await bridge.close();
    },
  };
}

/** The environment of a root shell on the host, with `node` from `nodeDir` first on PATH. */
const hostEnv = (home: string, nodeDir: string) => ({
  PATH: `${nodeDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  HOME: home,
  LANG: "C.UTF-8",
});

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-install-"));
  cp = await spawnControlPlane({});
}, 90_000);

afterAll(async () => {
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("clawops enroll → the install command on a second host (netns)", () => {
  it("installs the verified agent, enrolls it and runs it in the foreground; it comes online and answers a triage", async () => {
    const { command } = await installCommand("node-3");
    const host = await openHost("node-3");
    try {
      // As printed, plus --foreground: there is no systemd in the netns.
      const install = host.ns.spawn("sh", ["-c", `${command} --foreground`], {
        env: hostEnv(host.home, dirname(process.execPath)),
        cwd: host.home,
      });
      let output = "";
      install.stdout?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      install.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 60_000, interval: 500 })
        .toMatch(/node-3 — 🟢 online · agent 0\.1\.0/);

      // The agent the control plane serves, checked and installed where the unit expects it.
      const served = (await (await fetch(`${cp.url}/agent/clawops-agent.mjs.sha256`)).text()).split(" ")[0];
      const installed = join(host.opt, "clawops", "clawops-agent.mjs");
      expect(createHash("sha256").update(readFileSync(installed)).digest("hex")).toBe(served);
      expect(output).toContain(`SHA-256 ${served} verified`);
      expect(output).toContain("starting clawops-agent in the foreground as root");
      expect(output).not.toContain("Start the agent");
      expect(readdirSync(host.bin)).toEqual([]);
      const config = JSON.parse(readFileSync(join(host.home, ".clawops-agent", "agent.json"), "utf8"));
      expect(config).toMatchObject({ host: "node-3", server: cp.url });

      const triage = await clawops(["triage", "node-3", "--timeout", "90"]);
      // No gateway and no `openclaw` on that host: the answer says so, layer by layer.
      // No gateway and no `openclaw` in that netns: the answer says so, from the agent's own probes there.
      expect(triage.code, triage.stderr).toBe(1);
      const n = TRIAGE_STEPS.length;
      expect(triage.stdout).toMatch(new RegExp(`Triage of node-3 finished: ${n}/${n} probes in`));
      expect(triage.stdout).toContain("🔴 Transport: fail — WebSocket refused");
      expect(triage.stdout).toContain("1. 🔴 No OpenClaw installation visible to the agent  openclaw-not-found");
      expect(triage.stdout).toMatch(/· agent 0\.1\.0 · gateway \?/);
      expect(install.exitCode).toBeNull();
    } finally {
      await host.close();
    }
  }, 150_000);

  it("on a systemd host, installs the unit pointed at this host's node, enables and restarts it; the unit's command brings the agent online", async () => {
    const { command } = await installCommand("node-6");
    const host = await openHost("node-6", undefined, { systemd: true });
    try {
      // systemd is not PID 1 in the netns: a `systemctl` stand-in records its calls, and on
      // `restart` runs the installed unit's ExecStart with its Environment= as systemd would.
      const bin = join(work, "node-6", "bin");
      mkdirSync(bin, { recursive: true });
      const calls = join(work, "node-6", "systemctl.log");
      writeFileSync(join(bin, "systemctl"), systemctlStandIn(calls), { mode: 0o755 });
      const install = host.ns.spawn("sh", ["-c", `${command} --user root`], {
        env: {
          ...hostEnv(host.home, dirname(process.execPath)),
          PATH: `${bin}:${hostEnv(host.home, dirname(process.execPath)).PATH}`,
        },
        cwd: host.home,
      });
      let output = "";
      install.stderr?.on("data", (d: Buffer) => {
        output += d.toString();
      });
      await exitOf(install, 60_000);
      expect(install.exitCode, output).toBe(0);
      expect(output).toContain("clawops-agent runs as a systemd service (user root)");
      // What it says matches what it does (issue 33, item 8): it enrolled and started the agent
      // itself (no "start the agent" hint), and put `clawops-agent` on PATH.
      expect(output).toMatch(
        /clawops-install: enrolled node-6 with http:\/\/127\.0\.0\.1:\d+ \(its key is in \/root\/\.clawops-agent\)/,
      );
      expect(output).not.toContain("Start the agent");
      expect(output).toContain("clawops-install: installed /usr/local/bin/clawops-agent");
      const onPath = await host.ns.run("clawops-agent", ["--version"], {
        env: hostEnv(host.home, dirname(process.execPath)),
        cwd: host.home,
        timeoutMs: 20_000,
      });
      expect(onPath.stdout).toBe("clawops-agent 0.1.0\n");
      expect(readFileSync(calls, "utf8")).toBe("daemon-reload\nenable clawops-agent\nrestart clawops-agent\n");

      const unit = readFileSync(join(host.units, "clawops-agent.service"), "utf8");
      const served = await (await fetch(`${cp.url}/agent/clawops-agent.service`)).text();
      // Only the node, the prefix (here the default), the user and its home (the paths the
      // hardened unit lets it write) differ from the unit served.
      expect(unit).toBe(
        served
          .replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `)
          .replace(/^User=.*$/m, "User=root")
          .replace(/^ReadWritePaths=.*$/m, (line) => line.replaceAll("/home/openclaw/", "/root/")),
      );
      expect(unit).toMatch(/^ReadWritePaths=-\/root\/\.clawops-agent -\/root\/\.openclaw \/tmp$/m);
      // Enrolled where the service looks: the home of the unit's User= (root's, mounted from host.home).
      expect(JSON.parse(readFileSync(join(host.home, ".clawops-agent", "agent.json"), "utf8"))).toMatchObject({
        host: "node-6",
      });
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 60_000, interval: 500 })
        .toMatch(/node-6 — 🟢 online · agent 0\.1\.0/);
    } finally {
      await host.close();
    }
  }, 150_000);

  it("refuses an agent changed in transit (SHA-256 mismatch) and installs nothing", async () => {
    const { command } = await installCommand("node-4");
    const host = await openHost("node-4", (path, body) =>
      path === "/agent/clawops-agent.mjs" ? Buffer.concat([body, Buffer.from("\n// changed in transit\n")]) : body,
    );
    try {
      const run = await host.ns.run("sh", ["-c", `${command} --foreground`], {
        env: hostEnv(host.home, dirname(process.execPath)),
        cwd: host.home,
        timeoutMs: 60_000,
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(
        /clawops-install: the agent downloaded from http:\/\/127\.0\.0\.1:\d+\/agent\/clawops-agent\.mjs has SHA-256 [0-9a-f]{64}, but this script expects [0-9a-f]{64}\. Refusing to install it: nothing was installed\./,
      );
      expect(readdirSync(host.opt)).toEqual([]);
      expect(existsSync(join(host.home, ".clawops-agent"))).toBe(false);
      expect((await clawops(["hosts"])).stdout).not.toMatch(/node-4/);
    } finally {
      await host.close();
    }
  }, 90_000);

  it("stops at a Node.js older than 24.16 and says what to do, installing nothing", async () => {
    const { command } = await installCommand("node-5");
    const host = await openHost("node-5");
    try {
      const oldNode = join(work, "old-node");
      mkdirSync(oldNode, { recursive: true });
      writeFileSync(join(oldNode, "node"), oldNodeLauncher(), { mode: 0o755 });
      chmodSync(join(oldNode, "node"), 0o755);
      const run = await host.ns.run("sh", ["-c", command], {
        env: hostEnv(host.home, oldNode),
        cwd: host.home,
        timeoutMs: 60_000,
      });
      expect(run.code).toBe(1);
      // Every place a gateway host keeps its Node was looked at (none here holds a suitable one).
      expect(run.stderr).toMatch(
        /clawops-install: Node\.js 2\d\.\d+\.\d+ at \/\S+\/old-node\/node is too old: clawops-agent needs Node\.js >= 24\.16, and no Node\.js >= 24\.16 was found where a gateway host keeps the one OpenClaw runs on \(a running openclaw-gateway process, the openclaw-gateway service, the openclaw launcher, nvm, volta, fnm, asdf or mise under \/\S+, \/usr\/local\/bin, \/opt\/homebrew\/bin\); found: Node\.js 2\d\.\d+\.\d+ at \/\S+\/old-node\/node \(the first node on PATH\).*pass it with --node \/path\/to\/node\. Otherwise upgrade Node\.js to 24 .* and run this command again\. Nothing was installed\./,
      );
      expect(readdirSync(host.opt)).toEqual([]);
      expect(existsSync(join(host.home, ".clawops-agent"))).toBe(false);
    } finally {
      await host.close();
    }
  }, 90_000);
});

describe("the install on a gateway host whose first node on PATH is older than 24.16 (issue 42, item 5)", () => {
  /** Old node first on PATH (this machine's Node 20 when it has one), and a `systemctl` stand-in. */
  function oldNodeSystemdEnv(name: string, home: string): { env: NodeJS.ProcessEnv; calls: string } {
    const dir = join(work, name);
    const oldNode = join(dir, "old-node");
    const bin = join(dir, "bin");
    for (const d of [oldNode, bin]) mkdirSync(d, { recursive: true });
    writeFileSync(join(oldNode, "node"), oldNodeLauncher(), { mode: 0o755 });
    const calls = join(dir, "systemctl.log");
    writeFileSync(join(bin, "systemctl"), systemctlStandIn(calls), { mode: 0o755 });
    const env = hostEnv(home, oldNode);
    return { env: { ...env, PATH: `${bin}:${env.PATH}` }, calls };
  }

  async function installAsRoot(host: Awaited<ReturnType<typeof openHost>>, command: string, env: NodeJS.ProcessEnv) {
    const install = host.ns.spawn("sh", ["-c", `${command} --user root`], { env, cwd: host.home });
    let output = "";
    install.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await exitOf(install, 60_000);
    expect(install.exitCode, output).toBe(0);
    return output;
  }

  it("uses the node a running OpenClaw gateway runs on (its /proc exe), says so, and the unit pins it", async () => {
    const { command } = await installCommand("node-7");
    const host = await openHost("node-7", undefined, { systemd: true });
    try {
      const { env, calls } = oldNodeSystemdEnv("node-7", host.home);
      // A gateway process as the real one shows itself: Node 24, titled `openclaw-gateway`
      // (GATEWAY-FACTS §2), its node on no PATH the install sees.
      const gateway = host.ns.spawn(
        process.execPath,
        ["-e", 'process.title = "openclaw-gateway"; console.log("up"); setInterval(() => {}, 1 << 30);'],
        { env: { PATH: "/usr/bin:/bin" }, cwd: host.home },
      );
      await new Promise<void>((resolve) => gateway.stdout?.once("data", () => resolve()));
      const gatewayNode = realpathSync(process.execPath);

      const output = await installAsRoot(host, command, env);
      expect(output).toMatch(
        new RegExp(
          `clawops-install: using Node\\.js ${process.versions.node.replaceAll(".", "\\.")} at ${escapeRegExp(gatewayNode)}: the node the running OpenClaw gateway \\(pid \\d+\\) runs on\n`,
        ),
      );
      expect(output).toContain(
        `clawops-agent runs as a systemd service (user root) with the node its unit names, ${gatewayNode}.`,
      );
      const unit = readFileSync(join(host.units, "clawops-agent.service"), "utf8");
      expect(unit).toMatch(
        new RegExp(`^ExecStart=${escapeRegExp(gatewayNode)} .*/opt/clawops/clawops-agent\\.mjs run`, "m"),
      );
      expect(readFileSync(join(host.bin, "clawops-agent"), "utf8")).toContain(
        `exec '${gatewayNode}' '/opt/clawops/clawops-agent.mjs' "$@"`,
      );
      expect(readFileSync(calls, "utf8")).toBe("daemon-reload\nenable clawops-agent\nrestart clawops-agent\n");
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 60_000, interval: 500 })
        .toMatch(/node-7 — 🟢 online · agent 0\.1\.0/);
    } finally {
      await host.close();
    }
  }, 150_000);

  it("uses a Node 24 installed with nvm in the gateway user's home, says so, and the unit pins it", async () => {
    const { command } = await installCommand("node-8");
    const host = await openHost("node-8", undefined, { systemd: true });
    try {
      const { env } = oldNodeSystemdEnv("node-8", host.home);
      // nvm's layout in the gateway user's home (root's here, /root in the netns).
      const version = `v${process.versions.node}`;
      const nvmBin = join(host.home, ".nvm", "versions", "node", version, "bin");
      mkdirSync(nvmBin, { recursive: true });
      symlinkSync(process.execPath, join(nvmBin, "node"));
      const nvmNode = `/root/.nvm/versions/node/${version}/bin/node`;

      const output = await installAsRoot(host, command, env);
      expect(output).toContain(
        `clawops-install: using Node.js ${process.versions.node} at ${nvmNode}: Node.js under /root\n`,
      );
      const unit = readFileSync(join(host.units, "clawops-agent.service"), "utf8");
      expect(unit).toMatch(
        new RegExp(`^ExecStart=${escapeRegExp(nvmNode)} .*/opt/clawops/clawops-agent\\.mjs run`, "m"),
      );
      await expect
        .poll(async () => (await clawops(["hosts"])).stdout, { timeout: 60_000, interval: 500 })
        .toMatch(/node-8 — 🟢 online · agent 0\.1\.0/);
    } finally {
      await host.close();
    }
  }, 150_000);

  // Real root outside the netns can hand the folder to another uid (nobody, 65534 there too).
  it.skipIf(process.getuid?.() !== 0)(
    "does not run another user's node as root: with the agent running as root it is named, not used",
    async () => {
      const { command } = await installCommand("node-9");
      const host = await openHost("node-9");
      try {
        const old = join(work, "node-9", "old-node");
        mkdirSync(old, { recursive: true });
        writeFileSync(join(old, "node"), oldNodeLauncher(), { mode: 0o755 });
        const nvmBin = join(host.home, ".nvm", "versions", "node", `v${process.versions.node}`, "bin");
        mkdirSync(nvmBin, { recursive: true });
        symlinkSync(process.execPath, join(nvmBin, "node"));
        chownSync(nvmBin, 65534, 65534);
        const run = await host.ns.run("sh", ["-c", `${command} --foreground`], {
          env: hostEnv(host.home, old),
          cwd: host.home,
          timeoutMs: 60_000,
        });
        expect(run.code).toBe(1);
        expect(run.stderr).toContain(
          `${join(nvmBin, "node")} (Node.js under ${host.home}), not used: another user owns it and the agent would run as root (pass --user with its owner)`,
        );
        expect(readdirSync(host.opt)).toEqual([]);
      } finally {
        await host.close();
      }
    },
    90_000,
  );
});

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * A `node` older than 24.16: the system's own when it is (this machine's is Node 20), else a
 * launcher that reports 22.12.0 as `node -p process.versions.node` would.
 */
function oldNodeLauncher(): string {
  for (const candidate of ["/usr/bin/node", "/usr/local/bin/node"]) {
    if (!existsSync(candidate)) continue;
    const version = execFileSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    const [major = 0, minor = 0] = version.split(".").map(Number);
    if (major < 24 || (major === 24 && minor < 16)) return `#!/bin/sh\nexec ${candidate} "$@"\n`;
  }
  return "#!/bin/sh\necho 22.12.0\n";
}

/**
 * `systemctl` for a netns without systemd: appends its arguments to `log`; `restart <unit>` starts
 * the unit's ExecStart from /etc/systemd/system with its Environment= lines and its User='s home
 * as HOME, in the background.
 */
function systemctlStandIn(log: string): string {
  return [
    "#!/bin/sh",
    `printf '%s\\n' "$*" >>'${log}'`,
    'if [ "$1" = restart ]; then',
    '  unit="/etc/systemd/system/$2.service"',
    "  cmd=$(sed -n 's/^ExecStart=//p' \"$unit\")",
    "  vars=$(sed -n 's/^Environment=//p' \"$unit\")",
    '  home=$(getent passwd "$(sed -n \'s/^User=//p\' "$unit")" | cut -d: -f6)',
    "  # shellcheck disable=SC2086",
    '  (env HOME="$home" $vars $cmd </dev/null >/dev/null 2>&1 &)',
    "fi",
    "exit 0",
    "",
  ].join("\n");
}
