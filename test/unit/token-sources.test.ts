import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveProbeContext } from "../../src/agent/probes/context.ts";
import { tokenFingerprint } from "../../src/agent/probes/fingerprint.ts";
import type { GatewayProcess } from "../../src/agent/probes/host/gateway-processes.ts";
import { readOpenclawConfig } from "../../src/agent/probes/openclaw-config.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import { readTokenSources } from "../../src/agent/probes/token-sources.ts";
import { classifyResults } from "../../src/core/classify/classify.ts";

/**
 * Token sources OpenClaw loads itself and /proc never shows: the `.env` in its state dir, the
 * `.env` in the gateway's working directory, and the config's own `env` block.
 */
const T = {
  config: "config-token-aaaaaaaaaaaa",
  configEnv: "config-env-token-bbbbbbbbbbbb",
  stateDotenv: "state-dotenv-token-cccccccccccc",
  cwdDotenv: "cwd-dotenv-token-dddddddddddd",
};

let dir: string;
let state: string;
let proc: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawops-token-sources-"));
  state = join(dir, "state");
  proc = join(dir, "proc");
  const cwd = join(dir, "gateway-cwd");
  await mkdir(state, { recursive: true });
  await mkdir(join(proc, "4242"), { recursive: true });
  await mkdir(cwd, { recursive: true });
  await symlink(cwd, join(proc, "4242", "cwd"));
  await writeFile(
    join(state, "openclaw.json"),
    JSON.stringify({
      gateway: { mode: "local", port: 9, auth: { mode: "token", token: T.config } },
      env: { vars: { OPENCLAW_GATEWAY_TOKEN: T.configEnv } },
    }),
  );
  await writeFile(join(state, ".env"), `# written by an installer\nexport OPENCLAW_GATEWAY_TOKEN="${T.stateDotenv}"\n`);
  await writeFile(join(cwd, ".env"), `OTHER=1\nOPENCLAW_GATEWAY_TOKEN=${T.cwdDotenv}  # left from a test\n`);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const gateway = (pid: number): GatewayProcess => ({
  pid,
  ppid: 1,
  command: "openclaw-gateway",
  commandLine: "openclaw-gateway",
  argv: ["openclaw-gateway"],
  state: "S",
  user: "openclaw",
  env: {},
  workers: [],
});

describe("token sources OpenClaw loads by itself", () => {
  it("reads the state dir's .env, the gateway's working-directory .env and the config env block", async () => {
    const ctx = { env: {}, serviceUnitDirs: [], stateDir: state, procRoot: proc };
    const config = await readOpenclawConfig(join(state, "openclaw.json"), {});
    const readings = await readTokenSources(ctx, config, [gateway(4242)]);
    const by = (source: string) => readings.filter((r) => r.source === source);
    expect(by("config-env")).toEqual([
      {
        source: "config-env",
        where: `${join(state, "openclaw.json")} env.vars.OPENCLAW_GATEWAY_TOKEN`,
        token: T.configEnv,
      },
    ]);
    expect(by("dotenv")).toEqual([
      { source: "dotenv", where: join(state, ".env"), token: T.stateDotenv },
      {
        source: "dotenv",
        where: `${join(dir, "gateway-cwd", ".env")} (working directory of pid 4242)`,
        token: T.cwdDotenv,
      },
    ]);
  });

  it("lists no dotenv source when there is no .env, and no config-env without an env block", async () => {
    const bare = join(dir, "bare");
    await mkdir(bare, { recursive: true });
    await writeFile(join(bare, "openclaw.json"), JSON.stringify({ gateway: { auth: { token: T.config } } }));
    const config = await readOpenclawConfig(join(bare, "openclaw.json"), {});
    const readings = await readTokenSources(
      { env: {}, serviceUnitDirs: [], stateDir: bare, procRoot: proc },
      config,
      [],
    );
    expect(readings.map((r) => r.source)).toEqual(["config", "shell-env"]);
  });

  it("the tokens step reports them by fingerprint only, and the classifier calls it latent drift", async () => {
    const ctx = resolveProbeContext(
      { HOME: dir, OPENCLAW_STATE_DIR: state, OPENCLAW_GATEWAY_PORT: "9" },
      { agentVersion: "0.0.0-test", serviceUnitDirs: [] },
    );
    const results = await runSteps(ctx, [{ step: "tokens", args: { verifyAgainstGateway: false } }], {
      deadlineMs: 5_000,
    });
    const serialized = JSON.stringify(results);
    for (const token of Object.values(T)) expect(serialized).not.toContain(token);
    const [tokens] = results;
    if (tokens?.step !== "tokens" || !tokens.data) throw new Error(`tokens step failed: ${serialized}`);
    expect(tokens.data.distinct).toBe(3);
    expect(tokens.data.sources.find((s) => s.source === "dotenv")).toMatchObject({
      where: join(state, ".env"),
      present: true,
      fingerprint: tokenFingerprint(T.stateDotenv),
    });
    const finding = classifyResults(results, ["tokens"]).findings.find((f) => f.id === "token-sources-disagree");
    expect(finding?.evidence.join("\n")).toContain(join(state, ".env"));
  });
});
