import { DEFAULT_STEP_DEADLINE_MS, type DoctorLintData } from "../../contract/catalog.ts";
import { ProbeError } from "./errors.ts";
import { execCommand } from "./exec.ts";
import { parseJsonOutput } from "./gateway-status.ts";
import { budget, type Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

const STDERR_TAIL_CHARS = 1_000;
const MAX_FINDINGS = 40;
const MAX_TEXT = 400;

/**
 * `openclaw doctor --lint --json`: the CLI's own static checks (8–10 s, GATEWAY-FACTS §3).
 * Exit 1 is normal whenever there is any finding: a healthy gateway has two warnings
 * (loopback-only node onboarding, plaintext token), so the exit code says nothing here.
 */
export const probeDoctorLint: Probe<"doctor.lint"> = async (ctx, args, run) => {
  const secrets = await run.readings.knownSecrets();
  const res = await execCommand(ctx.openclawBin, ["doctor", "--lint", "--json"], {
    env: { ...ctx.env, NO_COLOR: "1", FORCE_COLOR: "0" },
    timeoutMs: budget(run, args.timeoutMs ?? DEFAULT_STEP_DEADLINE_MS["doctor.lint"]),
    signal: run.signal,
    maxOutputBytes: 512 * 1024,
  });
  if (res.spawnError) {
    throw new ProbeError("cli_unavailable", `cannot run ${ctx.openclawBin}: ${res.spawnError.message}`);
  }
  const data: DoctorLintData = { exitCode: res.exitCode, timedOut: res.timedOut };
  const stderr = res.stderr.trim();
  if (stderr) data.stderrTail = redactText(stderr.slice(-STDERR_TAIL_CHARS), secrets);
  if (res.timedOut || res.aborted) return data;
  return { ...data, ...summarizeDoctorLint(res.stdout, secrets) };
};

/** The fields of the lint document the classifier reads, or a parse note; never throws. */
export function summarizeDoctorLint(
  stdout: string,
  secrets: readonly string[] = [],
): Pick<DoctorLintData, "parseError" | "schemaVersion" | "ok" | "checksRun" | "findings"> {
  const parsed = parseJsonOutput(stdout);
  if (!parsed.ok) return { parseError: parsed.error };
  const root = record(parsed.value);
  if (!Array.isArray(root.findings)) {
    return { parseError: `no findings array in the lint document (keys: ${Object.keys(root).slice(0, 8).join(", ")})` };
  }
  const out: ReturnType<typeof summarizeDoctorLint> = {};
  if (typeof root.schemaVersion === "number") out.schemaVersion = root.schemaVersion;
  if (typeof root.ok === "boolean") out.ok = root.ok;
  if (typeof root.checksRun === "number") out.checksRun = root.checksRun;
  const findings: NonNullable<DoctorLintData["findings"]> = [];
  let unreadable = 0;
  for (const raw of root.findings.slice(0, MAX_FINDINGS)) {
    const f = record(raw);
    if (typeof f.checkId !== "string" || typeof f.severity !== "string") {
      unreadable += 1;
      continue;
    }
    findings.push({
      checkId: cut(f.checkId),
      severity: f.severity,
      message: redactText(cut(typeof f.message === "string" ? f.message : ""), secrets),
      ...(typeof f.path === "string" ? { path: redactText(cut(f.path), secrets) } : {}),
    });
  }
  out.findings = findings;
  if (unreadable > 0) out.parseError = `${unreadable} finding(s) without checkId/severity were skipped`;
  return out;
}

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
