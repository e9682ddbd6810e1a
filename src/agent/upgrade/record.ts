import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AgentUpgradeRecord, AgentUpgradeRecord as RecordSchema } from "../../contract/catalog.ts";

/**
 * upgrade.json in the agent's state folder: the last upgrade in place, as the agent went through
 * it (trial, passed, rolled-back). The `versions` step reports it, so the control plane learns
 * from the agent that came back how the upgrade went, rolled back or not, and why.
 */
export const UPGRADE_FILE = "upgrade.json";

export function readUpgradeRecord(dir: string | undefined): AgentUpgradeRecord | undefined {
  if (!dir) return undefined;
  try {
    const parsed = RecordSchema.safeParse(JSON.parse(readFileSync(join(dir, UPGRADE_FILE), "utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Replaces the record in one rename (a crash leaves the old record or the new one). */
export function writeUpgradeRecord(dir: string, record: AgentUpgradeRecord): void {
  const path = join(dir, UPGRADE_FILE);
  writeFileSync(`${path}.tmp`, `${JSON.stringify(RecordSchema.parse(record))}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}
