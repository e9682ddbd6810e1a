import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerfileParser } from "dockerfile-ast";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import { exitOf, openNetns } from "../support/netns.ts";
import { bridgeIntoNetns } from "../support/netns-bridge.ts";
import { freePort } from "../support/ports.ts";
import { postSlashCommand, waitHostOnline } from "../support/slack-signing.ts";
import { SlackStandIn } from "../support/slack-standin.ts";

/**
 * A fresh clone installed exactly as the docs say enrolls a second host and triages it (issue 33,
 * "done when"): once as infra/container/Dockerfile builds its image (its instructions read with
 * dockerfile-ast and replayed outside Docker, which this machine has no engine for: each stage in
 * its own folder standing for /opt/clawops, COPY from the clone, RUN as written with the image's
 * paths mapped to folders here, then its CMD with its ENV), once as docs/deploy-node.md's systemd
 * install does (`npm ci --omit=dev`, the unit's Environment= and ExecStart). Each runs with Slack
 * configured (the stand-in) and CLAWOPS_ADMIN_TOKEN, as a server does; `clawops enroll` prints the
 * command, which runs as root on a second host (a network namespace reaching the control plane
 * only at its URL, no systemd: `--foreground`); the agent comes online and a signed
 * `/openclaw triage` gets its answer. Installs come from the npm cache when it has them
 * (npm_config_prefer_offline), else from the registry.
 */
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NODE_DIR = dirname(process.execPath);
const SECRET = "fresh-install-signing-secret-0123456789";
const BOT_TOKEN = "xoxb-fresh-install-bot-token-51c0";
const ADMIN_TOKEN = "fresh-install-admin-token-8e2b4d6f1a3c5709";
const CHANNEL = "C0FRESH";

let work: string;
let slack: SlackStandIn;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "clawops-fresh-"));
  slack = new SlackStandIn(BOT_TOKEN);
  await slack.start();
});

afterAll(async () => {
  await slack?.stop();
  // Two installs' node_modules, one with its own Node 24: 30 s and more on a busy disk.
  await rm(work, { recursive: true, force: true });
}, 180_000);

/** The files a clone of this checkout has: tracked ones and new ones not ignored. */
function cloneTo(dest: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && existsSync(join(ROOT, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dest, f));
  }
}

/** A shell command as a build step runs it; rejects with its output on a non-zero exit. */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command}: exit ${code}\n${out}`))));
  });
}

/** What a build step sees: Node 24 first (the image's, the npm package's), the npm cache. */
const buildEnv = (): NodeJS.ProcessEnv => ({
  PATH: `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
  HOME: process.env.HOME ?? "/root",
  npm_config_prefer_offline: "true",
  npm_config_update_notifier: "false",
});

interface Running {
  url: string;
  stdout: () => string;
  stop(): Promise<void>;
}

/** Starts `command` in `cwd` with exactly `env`, as a container or a unit starts it; resolves at its banner. */
async function start(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Running> {
  const child = spawn(file, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in 60 s: ${stderr.slice(-3000)}`)), 60_000);
    child.stdout.on("data", () => {
      const m = /clawops is running at (http:\/\/\S+)/.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code}: ${stderr.slice(-3000)}`));
    });
  });
  return {
    url,
    stdout: () => stdout,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** `clawops enroll <host>` as the docs run it; the one install command it prints. */
async function enrollCommand(cli: string[], cwd: string, env: NodeJS.ProcessEnv, host: string): Promise<string> {
  const out = await sh(`${cli.map((a) => `'${a}'`).join(" ")} enroll ${host}`, cwd, env);
  const commands = out.split("\n").filter((l) => l.startsWith("curl "));
  expect(commands, out).toHaveLength(1);
  return commands[0] ?? "";
}

/** Runs the printed command on a second host (root, `--foreground`), then triages it over Slack. */
async function installAndTriage(cpUrl: string, command: string, host: string): Promise<void> {
  const dir = join(work, host);
  const [opt, home] = ["opt", "root-home"].map((d) => join(dir, d));
  for (const d of [opt, home]) mkdirSync(d ?? "", { recursive: true });
  const ns = await openNetns();
  const bridge = await bridgeIntoNetns(ns, cpUrl, { dir: work });
  try {
    const install = ns.spawn("sh", ["-c", `${command} --foreground --prefix ${opt}`], {
      env: { PATH: `${NODE_DIR}:/usr/sbin:/usr/bin:/sbin:/bin`, HOME: home, LANG: "C.UTF-8" },
      cwd: home ?? "/",
    });
    let output = "";
    install.stderr?.on("data", (d: Buffer) => {
      output += d.toString();
    });
    await waitHostOnline(cpUrl, SECRET, host, { timeoutMs: 90_000, describe: () => output });
    expect(output).toMatch(/clawops-install: SHA-256 [0-9a-f]{64} verified/);

    const { body } = await postSlashCommand(cpUrl, SECRET, { text: `triage ${host}`, channel_id: CHANNEL });
    expect(body.text).toContain(`Triage of ${host} started`);
    const n = TRIAGE_STEPS.length;
    const messages = () => [...slack.messages.values()].filter((m) => m.channel === CHANNEL);
    // No gateway on that host: the answer says which layers fail, from the agent's own probes there.
    const answer = new RegExp(`^Triage ${host}: \\d+ failing layers? — No OpenClaw installation visible to the agent`);
    await slack.waitFor(() => messages().some((m) => answer.test(m.text)), 120_000, `the triage answer for ${host}`);
    expect(messages().some((m) => m.text.includes(`Triage of ${host} finished: ${n}/${n} probes`))).toBe(true);
    await exitOf(install, 1).catch(() => undefined);
  } finally {
    await ns.close();
    await bridge.close();
  }
}

/** infra/container/Dockerfile's stages, each a list of its instructions. */
function dockerfileStages() {
  const parsed = DockerfileParser.parse(readFileSync(join(ROOT, "infra/container/Dockerfile"), "utf8"));
  const stages: { name: string | null; steps: { keyword: string; args: string[]; text: string }[] }[] = [];
  for (const i of parsed.getInstructions()) {
    const args = i.getArgumentsContent() === null ? [] : i.getArguments().map((a) => a.getValue());
    if (i.getKeyword() === "FROM")
      stages.push({ name: /\bAS\s+(\S+)/i.exec(i.getTextContent())?.[1] ?? null, steps: [] });
    stages.at(-1)?.steps.push({ keyword: i.getKeyword(), args, text: i.getTextContent() });
  }
  return stages;
}

describe("a fresh clone, installed as the docs say, enrolls a second host and triages it (issue 33)", () => {
  it("the container image (infra/container/Dockerfile, replayed outside Docker): one Node, the agent served", async () => {
    const clone = join(work, "clone-image");
    cloneTo(clone);
    const state = join(work, "image-state");
    const scratch = join(work, "image-tmp");
    mkdirSync(scratch);
    const stageDirs = new Map<string, string>();
    let env: Record<string, string> = {};
    let cmd: string[] = [];
    let dir = "";
    for (const [n, stage] of dockerfileStages().entries()) {
      dir = join(work, `stage-${n}`);
      mkdirSync(dir);
      if (stage.name) stageDirs.set(stage.name, dir);
      // The image's paths, as folders here. The build reads its packages from this machine's npm
      // cache (as a build cache mount would); the cache the image empties is its own, not this
      // machine's, which other npm runs may be reading at that moment.
      const mapped = (s: string) =>
        s
          .replaceAll("/tmp/", `${scratch}/`)
          .replaceAll("/opt/clawops", dir)
          .replaceAll("/var/lib/clawops", state)
          .replaceAll("npm cache clean --force", `npm cache clean --force --cache '${join(work, "image-npm-cache")}'`);
      env = {};
      for (const step of stage.steps) {
        if (step.keyword === "ENV")
          for (const m of step.text.matchAll(/([A-Z_][A-Z0-9_]*)=(\S+)/g)) env[m[1] ?? ""] = m[2] ?? "";
        if (step.keyword === "COPY") {
          const from = /--from=(\S+)/.exec(step.text)?.[1];
          const [dest, ...sources] = step.args.filter((a) => !a.startsWith("--")).reverse();
          for (const source of sources.reverse()) {
            const src = from ? source.replace("/opt/clawops", stageDirs.get(from) ?? "") : join(clone, source);
            const target = dest?.endsWith("/") ? join(dir, dest, source.split("/").pop() ?? "") : join(dir, dest ?? "");
            mkdirSync(dirname(target), { recursive: true });
            await sh(`cp -a '${src}' '${target}'`, dir, buildEnv());
          }
        }
        if (step.keyword === "RUN") await sh(mapped(step.args.join(" ")), dir, buildEnv());
        if (step.keyword === "CMD") cmd = JSON.parse(step.text.replace(/^CMD\s+/, "")) as string[];
      }
    }
    // One Node in the image: the npm package `node` (a second Node 24) is not there; esbuild is.
    expect(existsSync(join(dir, "node_modules", "node"))).toBe(false);
    expect(existsSync(join(dir, "node_modules", ".bin", "node"))).toBe(false);
    expect(existsSync(join(dir, "node_modules", "esbuild"))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([
      "bin",
      "infra",
      "node_modules",
      "package-lock.json",
      "package.json",
      "scripts",
      "src",
    ]);

    // `docker run --env-file …`: the image's ENV, the operator's settings and secrets. Loopback
    // here (this machine's rule for test servers) and a free port instead of the image's 0.0.0.0:8787.
    const port = String(await freePort());
    const runEnv = {
      ...env,
      PATH: `${NODE_DIR}:/usr/local/bin:/usr/bin:/bin`,
      CLAWOPS_DATA_DIR: state,
      CLAWOPS_BIND: "127.0.0.1",
      CLAWOPS_PORT: port,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.url,
      CLAWOPS_ADMIN_TOKEN: ADMIN_TOKEN,
    };
    expect(cmd[0]).toBe("node");
    const cp = await start(process.execPath, cmd.slice(1), dir, runEnv);
    try {
      expect(cp.stdout()).toContain("workspace Acme Ops (T0001) as @clawops (bot B0CLAWOPS), HTTP");
      // `docker exec clawops node bin/clawops.mjs enroll node-31` (docs/deploy-node.md).
      const command = await enrollCommand([process.execPath, "bin/clawops.mjs"], dir, runEnv, "node-31");
      expect(command).toMatch(
        new RegExp(`^curl -fsSL ${cp.url}/agent/install\\.sh \\| sh -s -- --host node-31 --code \\S+$`),
      );
      await installAndTriage(cp.url, command, "node-31");
    } finally {
      await cp.stop();
    }
  }, 600_000);

  it("the systemd install (docs/deploy-node.md: npm ci --omit=dev, the unit's environment and ExecStart)", async () => {
    const checkout = join(work, "opt-clawops");
    cloneTo(checkout);
    // As the doc runs it, with the system's Node (older than 24 here: the npm package brings 24).
    await sh("npm ci --omit=dev", checkout, { ...buildEnv(), PATH: "/usr/local/bin:/usr/bin:/bin" });
    const unit = readFileSync(join(checkout, "infra/systemd/clawops.service"), "utf8");
    const unitEnv = Object.fromEntries(
      [...unit.matchAll(/^Environment=([A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] ?? "", m[2] ?? ""]),
    );
    const [exe, ...args] = (/^ExecStart=(.+)$/m.exec(unit)?.[1] ?? "").split(" ");
    expect(exe).toBe("/opt/clawops/node_modules/.bin/node");
    const state = join(work, "systemd-state");
    const envFile = join(work, "clawops.env");
    const port = String(await freePort());
    // /etc/clawops/clawops.env, mode 0600 (the unit's port moved to a free one).
    writeFileSync(
      envFile,
      `SLACK_SIGNING_SECRET=${SECRET}\nSLACK_BOT_TOKEN=${BOT_TOKEN}\nSLACK_API_URL=${slack.url}\nCLAWOPS_ADMIN_TOKEN=${ADMIN_TOKEN}\nCLAWOPS_PORT=${port}\n`,
      { mode: 0o600 },
    );
    const fileEnv = Object.fromEntries(
      readFileSync(envFile, "utf8")
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    const cp = await start((exe ?? "").replace("/opt/clawops", checkout), args, checkout, {
      PATH: "/usr/local/bin:/usr/bin:/bin",
      ...unitEnv,
      CLAWOPS_DATA_DIR: state,
      ...fileEnv,
    });
    try {
      // The doc's CLI line: the service's Node, the env file for the URL and the admin token.
      const command = await enrollCommand(
        [join(checkout, "node_modules/.bin/node"), "bin/clawops.mjs", "--env-file", envFile],
        checkout,
        { PATH: "/usr/local/bin:/usr/bin:/bin" },
        "node-32",
      );
      await installAndTriage(cp.url, command, "node-32");
    } finally {
      await cp.stop();
    }
  }, 600_000);
});
