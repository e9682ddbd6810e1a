import { createHash } from "node:crypto";
import { stripVTControlCharacters } from "node:util";
import type { DoctorFixData, DoctorLintData } from "../../contract/catalog.ts";
import { readFile } from "../fs-async.ts";
import { doctorCache } from "./doctor-cache.ts";
import { summarizeDoctorLint } from "./doctor-lint.ts";
import { execCommand } from "./exec.ts";
import { passMutatingGate } from "./mutating-gate.ts";
import type { Probe } from "./probe.ts";
import { redactText } from "./redact.ts";

/** The lint afterwards needs 8–10 s alone; keep that much of the step's budget for it. */
const LINT_RESERVE_MS = 25_000;
const MAX_CHANGES = 60;
const TAIL_CHARS = 1_500;

/**
 * `openclaw doctor --repair --non-interactive` (runbook step 4, "doctor --fix"): the CLI's own
 * recommended repairs, without prompts. It rewrites the config (keeping `openclaw.json.bak`),
 * tightens state-dir permissions, disables skills whose requirements are missing, and so on, and
 * lists each change in a "Doctor changes" box. Mutating: it runs only past the same gate as a
 * restart (a signed approval for this host and exactly `doctor.fix`, unused and unexpired, and
 * the host's policy.json allowing it). Afterwards `doctor --lint --json` says what is left.
 */
export const probeDoctorFix: Probe<"doctor.fix"> = async (ctx, args, run) => {
  const base: DoctorFixData = { performed: false };
  const gate = await passMutatingGate(ctx, "doctor.fix", args.approval);
  if (!gate.ok) return { ...base, refused: gate.refused, ...(gate.approver ? { approver: gate.approver } : {}) };
  const secrets = await run.readings.knownSecrets();
  const command = [ctx.openclawBin, "doctor", "--repair", "--non-interactive"];
  const hashBefore = await configHash(ctx.configPath);
  const env = { ...ctx.env, NO_COLOR: "1", FORCE_COLOR: "0" };
  const res = await execCommand(command[0] as string, command.slice(1), {
    env,
    timeoutMs: Math.max(5_000, run.remainingMs() - LINT_RESERVE_MS),
    signal: run.signal,
    maxOutputBytes: 1024 * 1024,
  });
  if (res.spawnError) {
    return {
      ...base,
      approver: gate.approver,
      command,
      error: `cannot run ${ctx.openclawBin}: ${res.spawnError.message}`,
    };
  }
  const hashAfter = await configHash(ctx.configPath);
  // The repair may have changed what doctor reads in ways the cache key does not see.
  doctorCache.invalidate(ctx);
  const output = redactText(`${res.stdout}\n${res.stderr}`, secrets);
  const summary = summarizeDoctorRepair(output);
  const data: DoctorFixData = {
    performed: true,
    approver: gate.approver,
    command,
    exitCode: res.exitCode,
    timedOut: res.timedOut,
    changes: summary.changes,
    configUpdated: summary.configUpdated,
    configHashBefore: hashBefore,
    configHashAfter: hashAfter,
  };
  if (res.timedOut || res.exitCode !== 0) {
    data.outputTail = output.trim().slice(-TAIL_CHARS);
    data.error = res.timedOut
      ? "doctor --repair did not finish in time (it may have applied some repairs: see the changes and the config hash)"
      : `doctor --repair exited ${res.exitCode ?? res.exitSignal}`;
    return data;
  }
  const lint = await execCommand(ctx.openclawBin, ["doctor", "--lint", "--json"], {
    env,
    timeoutMs: Math.max(1_000, run.remainingMs() - 500),
    signal: run.signal,
    maxOutputBytes: 512 * 1024,
  });
  const lintAfter: DoctorLintData = { exitCode: lint.exitCode, timedOut: lint.timedOut };
  data.lintAfter =
    lint.timedOut || lint.spawnError ? lintAfter : { ...lintAfter, ...summarizeDoctorLint(lint.stdout, secrets) };
  return data;
};

/**
 * Reads doctor's boxed output: the bullet lines inside every "◇  Doctor changes" box, and the
 * "Updated config: <path>" / "Backup: <path>" lines. Box-drawing characters are dropped.
 */
export function summarizeDoctorRepair(output: string): Pick<DoctorFixData, "changes" | "configUpdated"> {
  const changes: string[] = [];
  let inChanges = false;
  let updated: string | null = null;
  let backup: string | null = null;
  // Long bullets wrap: a line without "- " continues the bullet above it.
  let bulleted = false;
  for (const raw of output.split("\n")) {
    const line = stripVTControlCharacters(raw);
    const box = /^\s*◇\s+(.+?)\s*─*╮?\s*$/.exec(line);
    if (box) {
      inChanges = /^Doctor changes\b/.test(box[1] ?? "");
      bulleted = false;
      continue;
    }
    if (/^\s*├─*╯/.test(line) || /^\s*└/.test(line)) {
      inChanges = false;
      continue;
    }
    const u = /^\s*Updated config:\s*(\S.*?)\s*$/.exec(line);
    if (u?.[1]) updated = u[1];
    const b = /^\s*Backup:\s*(\S.*?)\s*$/.exec(line);
    if (b?.[1]) backup = b[1];
    if (!inChanges) continue;
    const text = line
      .replace(/^\s*│\s?/, "")
      .replace(/\s*│\s*$/, "")
      .trim();
    if (text === "") continue;
    const bullet = /^-\s+/.test(text);
    if (!bullet && bulleted && changes.length > 0) {
      changes[changes.length - 1] = `${changes[changes.length - 1]} ${text}`;
      continue;
    }
    bulleted = bullet;
    if (changes.length < MAX_CHANGES) changes.push(text.replace(/^-\s+/, ""));
  }
  return { changes, configUpdated: updated ? { path: updated, backup } : null };
}

async function configHash(path: string): Promise<string | null> {
  try {
    return createHash("sha256")
      .update(await readFile(path))
      .digest("hex")
      .slice(0, 12);
  } catch {
    return null;
  }
}
