import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProbeContext, resolveProbeContext } from "../../src/agent/probes/context.ts";
import { ProbeError } from "../../src/agent/probes/errors.ts";
import type { Probe } from "../../src/agent/probes/probe.ts";
import { runSteps } from "../../src/agent/probes/run-steps.ts";
import type { StepRequest, StepResult } from "../../src/contract/catalog.ts";

const CONFIG_TOKEN = "config-token-for-redaction";
let dir: string;
let ctx: ProbeContext;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "clawops-run-"));
  await mkdir(join(dir, "state"));
  await writeFile(join(dir, "state", "openclaw.json"), JSON.stringify({ gateway: { auth: { token: CONFIG_TOKEN } } }));
  ctx = resolveProbeContext(
    { HOME: dir, OPENCLAW_STATE_DIR: join(dir, "state"), OPENCLAW_GATEWAY_TOKEN: "shell-env-token-zzz" },
    { procRoot: join(dir, "no-proc"), serviceUnitDirs: [] },
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

const versionsData = { agent: "1", openclaw: "2026.9.6", os: "linux", node: "v24" };

describe("runSteps", () => {
  it("gives every step exactly one result, streamed in finish order, each redacted and valid", async () => {
    const seen: StepResult[] = [];
    let aborted = false;
    const probes: Parameters<typeof runSteps>[2]["probes"] = {
      versions: async (_c, _a, run) => {
        await sleep(30, run.signal);
        return { ...versionsData, openclawError: `leaked ${CONFIG_TOKEN} and shell-env-token-zzz, Bearer abcdefghijk` };
      },
      config: async () => {
        throw new ProbeError("cli_unavailable", "openclaw not found");
      },
      tokens: async () => {
        throw new TypeError("boom");
      },
      "gateway.http": (async (_c, _a, run) => {
        await sleep(5_000, run.signal);
        aborted = run.signal.aborted;
        return { baseUrl: "x", healthz: { status: 200 }, readyz: { status: 200 } };
      }) satisfies Probe<"gateway.http">,
      "gateway.status": (async () => ({ exitCode: "zero" })) as unknown as Probe<"gateway.status">,
    };
    const steps: StepRequest[] = [
      { step: "versions", args: {} },
      { step: "config", args: {} },
      { step: "tokens", args: {} },
      { step: "gateway.http", args: { timeoutMs: 200 } },
      { step: "gateway.status", args: {} },
    ];
    const results = await runSteps(ctx, steps, { deadlineMs: 10_000, probes, onResult: (r) => void seen.push(r) });

    expect(results.map((r) => r.step)).toEqual(steps.map((s) => s.step));
    expect(seen).toHaveLength(5);
    expect(new Set(seen.map((r) => r.step)).size).toBe(5);
    // The slow one finishes last.
    expect(seen.at(-1)?.step).toBe("gateway.http");

    const byStep = Object.fromEntries(results.map((r) => [r.step, r]));
    expect(byStep.versions).toMatchObject({ status: "ok" });
    expect(byStep.versions?.step === "versions" && byStep.versions.data?.openclawError).toBe(
      "leaked [REDACTED:known-secret] and [REDACTED:known-secret], Bearer [REDACTED:bearer]",
    );
    expect(byStep.config).toMatchObject({
      status: "error",
      error: { code: "cli_unavailable", message: "openclaw not found" },
    });
    expect(byStep.tokens).toMatchObject({ status: "error", error: { code: "probe_failed", message: "boom" } });
    expect(byStep["gateway.http"]).toMatchObject({ status: "timeout", error: { code: "probe_timeout" } });
    expect(byStep["gateway.http"]?.durationMs).toBeLessThan(1_000);
    expect(byStep["gateway.status"]).toMatchObject({ status: "error", error: { code: "invalid_result" } });
    await sleep(50);
    expect(aborted).toBe(true);
    expect(JSON.stringify(results)).not.toContain(CONFIG_TOKEN);
  });

  it("cuts every step at the job deadline", async () => {
    const slow: Probe<"versions"> = async (_c, _a, run) => {
      await sleep(5_000, run.signal);
      return versionsData;
    };
    const started = performance.now();
    const results = await runSteps(ctx, [{ step: "versions", args: {} }], {
      deadlineMs: 150,
      probes: { versions: slow },
    });
    expect(results[0]).toMatchObject({ step: "versions", status: "timeout" });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("cancels running steps when the job signal aborts", async () => {
    const controller = new AbortController();
    const slow: Probe<"versions"> = async (_c, _a, run) => {
      await sleep(5_000, run.signal);
      return versionsData;
    };
    setTimeout(() => controller.abort(), 50);
    const results = await runSteps(ctx, [{ step: "versions", args: {} }], {
      deadlineMs: 10_000,
      signal: controller.signal,
      probes: { versions: slow },
    });
    expect(results[0]).toMatchObject({ status: "error", error: { code: "probe_aborted" } });
  });

  it("survives a consumer whose onResult throws", async () => {
    const results = await runSteps(ctx, [{ step: "versions", args: {} }], {
      deadlineMs: 1_000,
      probes: { versions: async () => versionsData },
      onResult: () => {
        throw new Error("consumer broke");
      },
    });
    expect(results[0]).toMatchObject({ status: "ok" });
  });
});
