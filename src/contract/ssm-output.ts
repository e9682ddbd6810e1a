import { deflateSync, inflateSync, strFromU8, strToU8 } from "fflate";
import { z } from "zod";
import { type StepName, StepRequest, StepResult } from "./catalog.ts";
import { firstIssue } from "./issues.ts";

/**
 * The agent's one-shot output, as it travels through AWS SSM Run Command.
 *
 * SSM keeps only the first 24,000 characters of a command's stdout (GetCommandInvocation
 * StandardOutputContent) and cuts the rest without a reliable marker. So the agent prints
 * line frames, each one self-checking, and a trailer that says how many came before it:
 *
 *   CLAWOPS-SSM/1 done <steps>
 *   R <step> <crc32 hex> <base64 of raw-deflated StepResult JSON>
 *   …
 *   CLAWOPS-SSM/1 end <frames>
 *
 * or, for a job the agent refused:
 *
 *   CLAWOPS-SSM/1 rejected
 *   E <crc32 hex> <base64 of raw-deflated {code, message}>
 *   CLAWOPS-SSM/1 end 1
 *
 * A reader takes only frames whose checksum, compression, JSON and catalog schema all hold;
 * without the trailer the output is reported as cut, and the steps it lacks as truncated,
 * never guessed. Everything is ASCII, so characters and bytes count the same.
 */
export const SSM_STDOUT_LIMIT = 24_000;
/** What the agent allows itself: the limit less room for a stray newline or shell noise. */
export const SSM_OUTPUT_BUDGET = 23_500;

const MAGIC = "CLAWOPS-SSM/1";

// ---------------------------------------------------------------------------------------
// Step specs: how a job's steps and typed args travel as one SSM document parameter.

/**
 * `versions,gateway.ws:timeoutMs=5000,tokens:verifyAgainstGateway=true+…`: step names from
 * the catalog, each with optional `key=value` args joined by `+`. Only letters, digits and
 * `.:=+,` — nothing a shell treats specially — and the SSM document's allowedPattern says so too.
 */
export const STEP_SPEC_PATTERN =
  /^[a-z][a-z.]{0,31}(:[A-Za-z]{1,32}=[A-Za-z0-9]{1,16}(\+[A-Za-z]{1,32}=[A-Za-z0-9]{1,16})*)?(,[a-z][a-z.]{0,31}(:[A-Za-z]{1,32}=[A-Za-z0-9]{1,16}(\+[A-Za-z]{1,32}=[A-Za-z0-9]{1,16})*)?){0,31}$/;

export function formatStepSpec(steps: StepRequest[]): string {
  return steps
    .map((s) => {
      const args = Object.entries(s.args as Record<string, string | number | boolean>);
      return args.length === 0 ? s.step : `${s.step}:${args.map(([k, v]) => `${k}=${String(v)}`).join("+")}`;
    })
    .join(",");
}

/** Parses a step spec into catalog requests, validated by the catalog's own schemas. */
export function parseStepSpec(spec: string): { ok: true; steps: StepRequest[] } | { ok: false; message: string } {
  if (!STEP_SPEC_PATTERN.test(spec)) {
    return {
      ok: false,
      message: "steps must look like `versions,gateway.ws:timeoutMs=5000` (catalog step names, key=value args)",
    };
  }
  const steps: StepRequest[] = [];
  for (const part of spec.split(",")) {
    const [step = "", argText] = part.split(":", 2);
    const args: Record<string, number | boolean | string> = {};
    for (const pair of argText ? argText.split("+") : []) {
      const [key = "", value = ""] = pair.split("=", 2);
      args[key] = /^\d+$/.test(value) ? Number(value) : value === "true" ? true : value === "false" ? false : value;
    }
    const parsed = StepRequest.safeParse({ step, args });
    if (!parsed.success) {
      const { where, message } = firstIssue(parsed.error.issues);
      return { ok: false, message: `step "${part}" is not a catalog step with valid args${where}: ${message}` };
    }
    steps.push(parsed.data);
  }
  return { ok: true, steps };
}

// ---------------------------------------------------------------------------------------
// Encoding (agent side)

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): string {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return ((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, "0");
}

function toBase64(bytes: Uint8Array): string {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function fromBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function packJson(value: unknown): { crc: string; b64: string } {
  const raw = strToU8(JSON.stringify(value));
  const packed = deflateSync(raw, { level: 9 });
  return { crc: crc32(packed), b64: toBase64(packed) };
}

/**
 * Encodes step results to fit `budget` characters. A result too big to fit is replaced by an
 * error result that says so (the classifier reports the step as failed to run, not as healthy).
 */
export function encodeOneShotDone(results: StepResult[], budget = SSM_OUTPUT_BUDGET): string {
  const header = `${MAGIC} done ${results.length}\n`;
  const trailer = `${MAGIC} end ${results.length}\n`;
  const frames = results.map((r) => {
    const { crc, b64 } = packJson(r);
    return { result: r, line: `R ${r.step} ${crc} ${b64}\n` };
  });
  let total = header.length + trailer.length + frames.reduce((n, f) => n + f.line.length, 0);
  // Largest first: dropping one big result keeps the most steps.
  const bySize = [...frames].sort((a, b) => b.line.length - a.line.length);
  for (const frame of bySize) {
    if (total <= budget) break;
    const original = frame.line.length;
    const replacement: StepResult = {
      step: frame.result.step,
      status: "error",
      durationMs: frame.result.durationMs,
      error: {
        code: "result_too_large",
        message: `${frame.result.step} result is ${original} characters compressed, more than fits in SSM's ${SSM_STDOUT_LIMIT}-character output; run this step alone or use the agent socket`,
      },
    } as StepResult;
    const { crc, b64 } = packJson(replacement);
    frame.line = `R ${replacement.step} ${crc} ${b64}\n`;
    total += frame.line.length - original;
  }
  return header + frames.map((f) => f.line).join("") + trailer;
}

export function encodeOneShotRejected(error: { code: string; message: string }): string {
  const { crc, b64 } = packJson({ code: error.code, message: error.message.slice(0, 2_000) });
  return `${MAGIC} rejected\nE ${crc} ${b64}\n${MAGIC} end 1\n`;
}

// ---------------------------------------------------------------------------------------
// Decoding (control-plane side)

const ErrorBody = z.object({ code: z.string(), message: z.string() });

export type DecodedOneShot =
  | {
      kind: "done";
      results: StepResult[];
      /** True when the trailer is missing: the output was cut (SSM's limit) or the agent died. */
      truncated: boolean;
      /** Frames present but unreadable (bad checksum, not the catalog's shape). */
      invalid: number;
    }
  | { kind: "rejected"; error: { code: string; message: string } }
  /** No clawops header at all: not our output (wrong document, agent not installed, shell error). */
  | { kind: "none" };

function unpackJson(crc: string, b64: string): unknown {
  const packed = fromBase64(b64);
  if (crc32(packed) !== crc) throw new Error("checksum mismatch");
  return JSON.parse(strFromU8(inflateSync(packed)));
}

export function decodeOneShot(stdout: string): DecodedOneShot {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`${MAGIC} `));
  if (start < 0) return { kind: "none" };
  const header = (lines[start] ?? "").split(" ");
  const body: string[] = [];
  let trailer: number | null = null;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const m = new RegExp(`^${MAGIC.replace(/[/.]/g, "\\$&")} end (\\d+)$`).exec(line);
    // A trailer counts only if a newline followed it (a cut can stop inside its digits).
    if (m && i < lines.length - 1) {
      trailer = Number(m[1]);
      break;
    }
    // The last piece has no newline after it: it may be cut short, so it is not a frame.
    if (i === lines.length - 1) break;
    body.push(line);
  }
  if (header[1] === "rejected") {
    const [tag, crc = "", b64 = ""] = (body[0] ?? "").split(" ");
    try {
      if (tag !== "E" || trailer !== 1) throw new Error("incomplete");
      const parsed = ErrorBody.safeParse(unpackJson(crc, b64));
      if (parsed.success) return { kind: "rejected", error: parsed.data };
    } catch {
      // fall through
    }
    return {
      kind: "rejected",
      error: {
        code: "ssm_output_unreadable",
        message: "the agent refused the job but its reason was cut or unreadable",
      },
    };
  }
  const results: StepResult[] = [];
  let invalid = 0;
  for (const line of body) {
    const [tag, step, crc = "", b64 = ""] = line.split(" ");
    if (tag !== "R" || !step) {
      invalid++;
      continue;
    }
    try {
      const parsed = StepResult.safeParse(unpackJson(crc, b64));
      if (parsed.success && parsed.data.step === step) results.push(parsed.data);
      else invalid++;
    } catch {
      invalid++;
    }
  }
  const truncated = trailer === null || trailer !== body.length;
  return { kind: "done", results, truncated, invalid };
}

/** Results for steps a job asked for but the output lacked, each saying why. */
export function missingStepResults(
  requested: readonly StepName[],
  got: readonly StepResult[],
  why: { code: string; message: string },
): StepResult[] {
  return requested
    .filter((step) => !got.some((r) => r.step === step))
    .map((step) => ({ step, status: "error", durationMs: 0, error: why }) as StepResult);
}
