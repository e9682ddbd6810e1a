import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DoctorLintData } from "../../contract/catalog.ts";
import type { ProbeContext } from "./context.ts";
import type { DoctorCacheEntry } from "./doctor-cache.ts";

/**
 * The doctor cache's last result, kept in the agent's state folder, so an agent that restarts
 * (an upgrade, a host reboot, its supervisor) answers its first triage from it, with its true age,
 * instead of without a doctor reading while doctor runs again. Its key still decides: a result for
 * a config that changed meanwhile is not served. The data is what the probe sent already (redacted).
 */
export const DOCTOR_CACHE_FILE = "doctor-cache.json";

const DoctorCacheFile = z.object({
  v: z.literal(1),
  /** Which gateway it is for: the config file and state folder it was keyed on. */
  configPath: z.string(),
  stateDir: z.string(),
  key: z.string().max(64),
  finishedAt: z.number(),
  data: DoctorLintData,
});

/** The kept result for this context, or undefined (none, another gateway's, or unreadable). */
export function loadDoctorCacheEntry(ctx: ProbeContext): DoctorCacheEntry | undefined {
  if (!ctx.agentDir) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(join(ctx.agentDir, DOCTOR_CACHE_FILE), "utf8"));
  } catch {
    return undefined;
  }
  const parsed = DoctorCacheFile.safeParse(json);
  if (!parsed.success) return undefined;
  const f = parsed.data;
  if (f.configPath !== ctx.configPath || f.stateDir !== ctx.stateDir) return undefined;
  return { key: f.key, finishedAt: f.finishedAt, data: f.data };
}

/** Writes the result, replacing the file in one rename (a crash leaves the old one or the new one). */
export function saveDoctorCacheEntry(ctx: ProbeContext, entry: DoctorCacheEntry): void {
  if (!ctx.agentDir) return;
  const path = join(ctx.agentDir, DOCTOR_CACHE_FILE);
  const file: z.infer<typeof DoctorCacheFile> = {
    v: 1,
    configPath: ctx.configPath,
    stateDir: ctx.stateDir,
    key: entry.key,
    finishedAt: entry.finishedAt,
    data: entry.data,
  };
  writeFileSync(`${path}.tmp`, `${JSON.stringify(file)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
