import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DoctorLintData } from "../../contract/catalog.ts";
import type { ProbeContext } from "./context.ts";
import { type DoctorCacheEntry, KEYS_KEPT } from "./doctor-cache.ts";

/**
 * The doctor cache's results, kept in the agent's state folder, so an agent that restarts (an
 * upgrade, a host reboot, its supervisor) answers its first triage from them, with their true age,
 * instead of without a doctor reading while doctor runs again: the latest run's result, and those
 * of the configs before it that the cache still answers from (KEYS_KEPT, doctor-cache.ts), so a
 * config put back after the restart is answered at once too. Their keys still decide: a result
 * for a config that changed meanwhile is not served. The data is what the probe sent already
 * (redacted). Version 1 held the latest result alone; it is still read.
 */
export const DOCTOR_CACHE_FILE = "doctor-cache.json";

const KeptResult = z.object({ key: z.string().max(64), finishedAt: z.number(), data: DoctorLintData });
const Gateway = { configPath: z.string(), stateDir: z.string() };
const DoctorCacheFile = z.union([
  z.object({ v: z.literal(1), ...Gateway, ...KeptResult.shape }),
  /** Which gateway it is for (the config file and state folder the keys are of), newest result first. */
  z.object({ v: z.literal(2), ...Gateway, entries: z.array(KeptResult).min(1).max(KEYS_KEPT) }),
]);

/** The kept results for this context, newest first; none when there is no file, another gateway's, or an unreadable one. */
export function loadDoctorCacheEntries(ctx: ProbeContext): DoctorCacheEntry[] {
  if (!ctx.agentDir) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(ctx.agentDir, DOCTOR_CACHE_FILE), "utf8"));
  } catch {
    return [];
  }
  const parsed = DoctorCacheFile.safeParse(json);
  if (!parsed.success) return [];
  const f = parsed.data;
  if (f.configPath !== ctx.configPath || f.stateDir !== ctx.stateDir) return [];
  const entries = f.v === 1 ? [f] : f.entries;
  return entries.map(({ key, finishedAt, data }) => ({ key, finishedAt, data }));
}

/** Writes the results, replacing the file in one rename (a crash leaves the old one or the new one). */
export function saveDoctorCacheEntries(ctx: ProbeContext, entries: readonly DoctorCacheEntry[]): void {
  if (!ctx.agentDir || entries.length === 0) return;
  const path = join(ctx.agentDir, DOCTOR_CACHE_FILE);
  const file: z.infer<typeof DoctorCacheFile> = {
    v: 2,
    configPath: ctx.configPath,
    stateDir: ctx.stateDir,
    entries: entries.slice(0, KEYS_KEPT).map(({ key, finishedAt, data }) => ({ key, finishedAt, data })),
  };
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
