import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type StepResult, TRIAGE_STEPS } from "../../src/contract/catalog.ts";
import {
  decodeOneShot,
  encodeOneShotDone,
  formatStepSpec,
  parseStepSpec,
  SSM_STDOUT_LIMIT,
} from "../../src/contract/ssm-output.ts";

const AGENT_MAIN = fileURLToPath(new URL("../../src/agent/main.ts", import.meta.url));

/** The real agent, run once against a host with no gateway and no openclaw CLI. */
async function realOneShot(args: string[]): Promise<{ stdout: string; code: number }> {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    OPENCLAW_GATEWAY_PORT: "1",
    OPENCLAW_CONFIG_PATH: "/nonexistent/clawops-test/openclaw.json",
    OPENCLAW_STATE_DIR: "/nonexistent/clawops-test/state",
    CLAWOPS_OPENCLAW_BIN: "/nonexistent/clawops-test/openclaw",
  };
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [AGENT_MAIN, "oneshot", ...args], {
      env,
      timeout: 30_000,
    });
    return { stdout, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; code?: number };
    return { stdout: e.stdout ?? "", code: e.code ?? -1 };
  }
}

describe("step specs (the SSM document's Steps parameter)", () => {
  it("round-trips the triage steps and typed args through the catalog schemas", () => {
    const steps = [
      ...TRIAGE_STEPS,
      { step: "gateway.ws" as const, args: { timeoutMs: 5000 } },
      { step: "tokens" as const, args: { verifyAgainstGateway: true } },
    ];
    const spec = formatStepSpec(steps);
    expect(spec).toMatch(/^[a-zA-Z0-9.:=+,]+$/);
    expect(parseStepSpec(spec)).toEqual({ ok: true, steps });
  });

  it("refuses shell text, unknown steps, unknown args and wrongly typed args", () => {
    for (const bad of [
      "versions; rm -rf /",
      "versions,$(id)",
      "reboot",
      "gateway.ws:command=ls",
      "gateway.ws:timeoutMs=5",
      "tokens:verifyAgainstGateway=maybe",
      "",
    ]) {
      expect(parseStepSpec(bad).ok, bad).toBe(false);
    }
  });
});

describe("one-shot output frames", () => {
  it("the real agent prints every requested step; decoding yields catalog results", async () => {
    const spec = formatStepSpec(TRIAGE_STEPS);
    const { stdout, code } = await realOneShot(["--steps", spec, "--deadline-ms", "20000"]);
    expect(code).toBe(0);
    expect(stdout.length).toBeLessThanOrEqual(SSM_STDOUT_LIMIT);
    const decoded = decodeOneShot(stdout);
    expect(decoded.kind).toBe("done");
    if (decoded.kind !== "done") return;
    expect(decoded.truncated).toBe(false);
    expect(decoded.invalid).toBe(0);
    expect(decoded.results.map((r) => r.step).sort()).toEqual(TRIAGE_STEPS.map((s) => s.step).sort());
    const ws = decoded.results.find((r) => r.step === "gateway.ws");
    expect(ws?.data?.outcome).toBe("refused");
  });

  it("the real agent refuses a bad spec with exit 64 and a readable reason", async () => {
    const { stdout, code } = await realOneShot(["--steps", "versions,reboot"]);
    expect(code).toBe(64);
    const decoded = decodeOneShot(stdout);
    expect(decoded.kind).toBe("rejected");
    if (decoded.kind === "rejected") expect(decoded.error.message).toContain("reboot");
  });

  it("output cut at any point is reported as truncated and never yields a wrong result", async () => {
    const { stdout } = await realOneShot(["--steps", "versions,config,gateway.ws,logs.signatures"]);
    const full = decodeOneShot(stdout);
    if (full.kind !== "done") throw new Error("expected done");
    for (let cut = 0; cut < stdout.length; cut++) {
      const d = decodeOneShot(stdout.slice(0, cut));
      if (d.kind === "none") continue;
      expect(d.kind).toBe("done");
      if (d.kind !== "done") continue;
      expect(d.truncated, `cut at ${cut}`).toBe(true);
      // Every result decoded from a cut output is one of the full output's, exactly.
      for (const r of d.results) expect(full.results).toContainEqual(r);
    }
  });

  it("a flipped character in a frame is caught by its checksum", async () => {
    const { stdout } = await realOneShot(["--steps", "versions,config"]);
    const lines = stdout.split("\n");
    const frame = lines[1] ?? "";
    const i = frame.length - 10;
    lines[1] = frame.slice(0, i) + (frame[i] === "A" ? "B" : "A") + frame.slice(i + 1);
    const d = decodeOneShot(lines.join("\n"));
    expect(d.kind === "done" && d.invalid).toBe(1);
    expect(d.kind === "done" && d.results.map((r) => r.step)).toEqual(["config"]);
  });

  it("a result too big for SSM's output is replaced by an error saying so, and the rest still fit", () => {
    const big = "x".repeat(10);
    const noisy: StepResult = {
      step: "logs.signatures",
      status: "ok",
      durationMs: 5,
      data: {
        found: true,
        path: "/tmp/openclaw.log",
        tried: [],
        bytesRead: 1,
        linesScanned: 1,
        linesSkipped: 0,
        // Incompressible: random examples.
        signatures: Array.from({ length: 400 }, (_, i) => ({
          kind: "parse-error",
          count: i,
          examples: [crypto.getRandomValues(new Uint8Array(60)).join(",") + big],
        })),
      },
    };
    const small: StepResult = { step: "config", status: "error", durationMs: 1, error: { code: "x", message: "y" } };
    const out = encodeOneShotDone([noisy, small]);
    expect(out.length).toBeLessThanOrEqual(SSM_STDOUT_LIMIT);
    const d = decodeOneShot(out);
    if (d.kind !== "done") throw new Error("expected done");
    expect(d.truncated).toBe(false);
    expect(d.results.find((r) => r.step === "logs.signatures")?.error?.code).toBe("result_too_large");
    expect(d.results.find((r) => r.step === "config")).toEqual(small);
  });
});
