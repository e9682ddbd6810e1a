import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { open, readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import JSON5 from "json5";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import {
  type PlainStep,
  type StepName,
  type StepRequest,
  type StepResult,
  type StepResultOf,
  stepPlan,
  TRIAGE_STEPS,
} from "../../src/contract/catalog.ts";
import { type Classification, classifyResults } from "../../src/core/classify/classify.ts";
import { FIELD_RULES, FIELD_START_RULES } from "../../src/core/classify/rules-field.ts";
import { sharedGateway } from "../support/gateway/control.ts";
import { labProbeContext } from "../support/gateway/lab-triage.ts";
import { logSize as logSizeOf, waitForLogLine } from "../support/gateway/log-lines.ts";

/**
 * Issue 30's field failures (classes 10–18 and the pending change) on the real gateway, each
 * made live on the running gateway (no stop, no start): the real agent probes read it and the
 * classifier's answer is held to what a user would check. The config is edited as an operator
 * would; the last test ends with this file's one restart, so every fault line written here is
 * history (older than a `gateway ready`) for the files that follow. The states a
 * lab gateway cannot be brought into live are proven on captured and dist-string fixtures
 * (test/unit/classify-field.test.ts).
 */
const gw = sharedGateway();
const fileLog = join(gw.labDir, "logs", "openclaw-file.log");
const stateDb = join(gw.env.OPENCLAW_STATE_DIR, "state", "openclaw.sqlite");
let originalConfig: string;
let results: StepResult[] = [];

/** Every rule of classes 10–18 (ids from the code: a list of literals here would read as proof of each). */
const FIELD_RULE_IDS = [...FIELD_START_RULES, ...FIELD_RULES].map((r) => r.id);

/** The triage without doctor (8–30 s of CLI on this box, and nothing here reads it). */
const FIELD_TRIAGE: StepRequest[] = TRIAGE_STEPS.filter((s) => s.step !== "doctor.lint");

async function triage(steps = FIELD_TRIAGE, extraEnv: Record<string, string> = {}): Promise<Classification> {
  const ctx = labProbeContext(gw, extraEnv);
  results = await runSteps(ctx, steps, { deadlineMs: 30_000 });
  expect(JSON.stringify(results)).not.toContain(gw.token);
  return classifyResults(
    results,
    steps.map((s) => s.step),
  );
}

const quick = (...names: PlainStep[]) => stepPlan(["gateway.ws", "gateway.http", "port.listeners", "config", ...names]);

function dataOf<N extends StepName>(step: N): NonNullable<StepResultOf<N>["data"]> {
  const r = results.find((x): x is StepResultOf<N> => x.step === step);
  expect(r?.status, `${step}: ${JSON.stringify(r?.error)}`).toBe("ok");
  return r?.data as NonNullable<StepResultOf<N>["data"]>;
}

const finding = (c: Classification, id: string) => c.findings.find((f) => f.id === id);

async function editConfig(change: (config: Record<string, unknown>) => void): Promise<void> {
  const config = JSON5.parse(originalConfig) as Record<string, unknown>;
  change(config);
  await writeFile(gw.configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
}

const logSize = () => logSizeOf(fileLog);
const waitForLog = (pattern: RegExp, offset: number, timeoutMs = 60_000) =>
  waitForLogLine(fileLog, pattern, offset, timeoutMs);

/** A client with a device identity (Ed25519, GATEWAY-FACTS §4.1's v3 signature) and its own auth. */
const device = (() => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "jwk" }).x as string;
  const id = createHash("sha256").update(Buffer.from(raw, "base64url")).digest("hex");
  return { raw, id, privateKey };
})();

function connectAsDevice(auth: Record<string, string>): Promise<{ ok: boolean; detailCode?: string }> {
  const client = { id: "test", version: "0.0.1-field", platform: "linux", mode: "ui" };
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gw.url);
    const timer = setTimeout(() => reject(new Error("no answer to connect")), 20_000);
    ws.on("error", reject);
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as {
        type: string;
        event?: string;
        payload?: { nonce: string; ts: number };
        ok?: boolean;
        error?: { details?: { code?: string } };
      };
      if (frame.type === "event" && frame.event === "connect.challenge" && frame.payload) {
        const { nonce, ts } = frame.payload;
        const signed = [
          "v3",
          device.id,
          client.id,
          client.mode,
          "operator",
          "operator.read",
          String(ts),
          auth.token ?? auth.deviceToken ?? "",
          nonce,
          "linux",
          "",
        ].join("|");
        const params = {
          minProtocol: 4,
          maxProtocol: 4,
          client,
          role: "operator",
          scopes: ["operator.read"],
          caps: [],
          auth,
          device: {
            id: device.id,
            publicKey: device.raw,
            signature: sign(null, Buffer.from(signed), device.privateKey).toString("base64url"),
            signedAt: ts,
            nonce,
          },
        };
        ws.send(JSON.stringify({ type: "req", id: "c1", method: "connect", params }));
      } else if (frame.type === "res") {
        clearTimeout(timer);
        ws.close();
        resolve({
          ok: frame.ok === true,
          ...(frame.error?.details?.code ? { detailCode: frame.error.details.code } : {}),
        });
      }
    });
  });
}

beforeAll(async () => {
  await gw.restoreHealthy();
  originalConfig = await readFile(gw.configPath, "utf8");
});

// Left stopped, its config file put back: the fault lines above must not reach a later file's
// triage as the running gateway's, and the next file's start (test/support/gateway/control.ts,
// `gatewayAtFileStart`) puts a `gateway ready` after them.
afterAll(async () => {
  if ((await readFile(gw.configPath, "utf8")) !== originalConfig) {
    await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
  }
  await gw.stop();
});

describe("field failures on the real gateway (issue 30, classes 10–18)", () => {
  it("healthy: the field probes read the real lab and add no finding", async () => {
    const c = await triage();
    expect(c.findings.filter((f) => FIELD_RULE_IDS.includes(f.id)).map((f) => f.id)).toEqual([]);
    expect(c.findings.filter((f) => f.severity === "fail")).toEqual([]);
    const files = dataOf("state.files");
    expect(files.databases.find((d) => d.role === "state")).toMatchObject({ path: stateDb, header: "sqlite" });
    expect(files.volumes.flatMap((v) => v.holds).sort()).toEqual(["logs", "state"]);
    expect(files.logs?.dir).toBe(join(gw.labDir, "logs"));
    expect(files.mappedDeleted).toEqual([]);
    expect(files.clobbered).toEqual([]);
    expect(dataOf("service.definition")).toMatchObject({ supervisor: "manual", path: null });
    const env = dataOf("gateway.env");
    expect(env.pid).toBe((await gw.state()).pid);
    expect(env.references).toEqual([]);
    const inv = dataOf("gateway.inventory");
    expect(inv, JSON.stringify(inv)).toMatchObject({ reachable: true, nodes: [], configWarnings: [] });
    expect(inv.plugins?.loaded).toContain("openai");
    expect(inv.plugins?.errors).toEqual([]);
  });

  it("class 10: the state database's header overwritten while it serves → fail, /healthz named, the gateway unaware", async () => {
    const offset = await logSize();
    const fh = await open(stateDb, "r+");
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, 0);
    expect(head.toString("latin1")).toBe("SQLite format 3\u0000");
    try {
      await fh.write(Buffer.from("clawops-corrupt!"), 0, 16, 0);
      const c = await triage(quick("state.files"));
      const f = c.findings[0];
      expect(f?.id).toBe("state-db-corrupt");
      expect(f?.evidence[0]?.startsWith(`${stateDb} (state database, `)).toBe(true);
      expect(f?.evidence[0]).toMatch(/\): does not begin with the SQLite header$/);
      expect(f?.falseGreen).toContain('HTTP /healthz answered 200 {"status":"live"}');
      // What the finding says of the running gateway: it still answers.
      expect(dataOf("gateway.ws").outcome).toBe("hello-ok");
    } finally {
      await fh.write(head, 0, 16, 0);
      await fh.close();
    }
    // ... and it logged nothing about it (measured: a running 2026.9.6 works from what it holds open).
    expect((await readFile(fileLog)).subarray(offset).toString("utf8")).not.toMatch(/not a database|malformed/);
  });

  it("class 17: another client retrying with a refused device token → device-token-loop with its cadence", async () => {
    const paired = await connectAsDevice({ token: gw.token });
    expect(paired.ok).toBe(true); // loopback pairing is approved on its own
    for (let i = 0; i < 4; i++) {
      expect(await connectAsDevice({ deviceToken: "field-test-stale-device-token" })).toEqual({
        ok: false,
        detailCode: "AUTH_DEVICE_TOKEN_MISMATCH",
      });
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const c = await triage(quick("logs.signatures"));
    const f = finding(c, "device-token-loop");
    expect(f?.severity).toBe("warn");
    expect(f?.evidence[0]).toMatch(
      /^client test ui v0\.0\.1-field: refused 4 times with device_token_mismatch between \S+ and \S+, one every ~\d+ s$/,
    );
    expect(c.findings.filter((x) => x.severity === "fail")).toEqual([]);
  });

  it("class 16: a reverse proxy the gateway does not trust (X-Forwarded-For, no trustedProxies) → 403, reverse-proxy-untrusted", async () => {
    const offset = await logSize();
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${gw.httpUrl}/`, {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "x-forwarded-for": "203.0.113.7",
        },
      });
      req.on("response", (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("upgrade", (_res, socket) => {
        socket.destroy();
        resolve(101);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(403);
    await waitForLog(/proxy-shaped traffic/, offset);
    const c = await triage(quick("logs.signatures"));
    expect(finding(c, "reverse-proxy-untrusted")?.evidence.join("\n")).toMatch(
      /observed unattributable proxy-shaped traffic from 127\.0\.0\.1/,
    );
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
  it("classes 14 and 15: a ${VAR} the gateway lacks and a plugin entry it ignores, written while it runs (hot reload)", async () => {
    const offset = await logSize();
    await editConfig((config) => {
      const models = (config.models ?? {}) as Record<string, unknown>;
      const providers = (models.providers ?? {}) as Record<string, unknown>;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: OpenClaw's ${VAR} config syntax, quoted as written
      config.models = { ...models, providers: { ...providers, openai: { apiKey: "${CLAWOPS_FIELD_MISSING_KEY}" } } };
      const plugins = (config.plugins ?? {}) as Record<string, unknown>;
      const entries = (plugins.entries ?? {}) as Record<string, unknown>;
      config.plugins = { ...plugins, entries: { ...entries, "clawops-field-missing": { enabled: true } } };
    });
    await waitForLog(/config hot reload applied/, offset);
    const c = await triage(FIELD_TRIAGE, { CLAWOPS_FIELD_MISSING_KEY: "in-the-shell-only" });
    const secrets = finding(c, "secrets-env-missing");
    expect(secrets?.evidence[0]).toMatch(
      /^CLAWOPS_FIELD_MISSING_KEY \(read at models\.providers\.openai\.apiKey\): not in the running gateway's environment \(pid \d+\), a \.env it loads, or the config's env block; the agent's own environment has it/,
    );
    expect(secrets?.evidence.join("\n"), JSON.stringify(dataOf("gateway.inventory"))).toContain(
      'Missing env var "CLAWOPS_FIELD_MISSING_KEY"',
    );
    expect(JSON.stringify(results)).not.toContain("in-the-shell-only");
    expect(finding(c, "plugins-not-loaded")?.evidence[0]).toMatch(
      /plugin not found: clawops-field-missing \(stale config entry ignored/,
    );
    expect(c.findings.filter((x) => x.severity === "fail")).toEqual([]);
    const restored = await logSize();
    await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
    await waitForLog(/config hot reload applied/, restored).catch(() => undefined);
  });

  it("class 16: proxy variables in the shell the gateway does not have → proxy-env-differs, no credentials shown", async () => {
    const c = await triage(quick("gateway.env", "service.definition"), {
      HTTPS_PROXY: "http://op:field-secret@127.0.0.1:3128",
    });
    const f = finding(c, "proxy-env-differs");
    expect(f?.evidence.join("\n")).toMatch(
      /https_proxy: gateway .*; agent's environment HTTPS_PROXY=http:\/\/127\.0\.0\.1:3128 \(sha256:[0-9a-f]{12}\)/,
    );
    expect(JSON.stringify(results)).not.toContain("field-secret");
  });

  // Last: with reload off the gateway stops reading its file, so only a start brings the original
  // back; the file's end stops it, and the next file's start is that one.
  it("a port change written with gateway.reload.mode=off: judged on the port it serves, the pending change named", async () => {
    const offset = await logSize();
    await editConfig((config) => {
      const gateway = config.gateway as Record<string, unknown>;
      config.gateway = { ...gateway, port: gw.port + 1, reload: { mode: "off" } };
    });
    await waitForLog(/config reload disabled \(gateway\.reload\.mode=off\)/, offset);
    const c = await triage();
    expect(finding(c, "config-change-pending")?.evidence[0]).toMatch(
      new RegExp(
        `^gateway\\.port=${gw.port + 1} in the file; the running gateway \\(pid \\d+\\) serves on ${gw.port}$`,
      ),
    );
    expect(c.findings.filter((x) => x.severity === "fail").map((x) => x.id)).toEqual([]);
    // Judged on what runs: the process and its port are fine. (Transport and auth carry the
    // warnings the earlier tests left in the log: the proxy and the device-token refusals.)
    for (const layer of ["process", "port"] as const)
      expect(c.matrix[layer].status, `${layer}: ${c.matrix[layer].reason}`).toBe("ok");
    for (const layer of ["transport", "auth"] as const) expect(c.matrix[layer].status, layer).not.toBe("fail");
    expect(dataOf("config")).toMatchObject({ port: gw.port, portSource: "process", pendingPort: gw.port + 1 });
    // With reload off the gateway no longer reads the file: the original back, and stopped (afterAll).
    await writeFile(gw.configPath, originalConfig, { mode: 0o600 });
  });
});
