import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fileIssue } from "../contract/issues.ts";
import { UsedApprovalsFile } from "./schemas.ts";

/**
 * Nonces of approvals this agent has already honoured, kept in its state folder until each
 * approval expires (issue 15, item 4: in memory only, an approval was good again after an
 * agent restart, and a one-shot agent never remembered it at all). Read and written on every
 * check, so every process on the folder sees the same ledger; the write is atomic (temp file,
 * fsync, rename) and 0600. A nonce is recorded before the step runs: a crash mid-step leaves
 * the approval spent, never reusable.
 */
export const USED_APPROVALS_FILE = "used-approvals.json";

/** More than any host sees in an approval lifetime (≤ 10 min); a bound on the file, not a policy. */
const MAX_ENTRIES = 10_000;

export class UsedApprovalsError extends Error {
  readonly code = "approval_ledger_unavailable";
}

export class FileNonceLedger {
  readonly path: string;

  constructor(stateDir: string) {
    this.path = join(stateDir, USED_APPROVALS_FILE);
  }

  /**
   * True when `nonce` was used before (refuse); otherwise records it with its expiry and
   * returns false. Throws `UsedApprovalsError` when the ledger cannot be read or written:
   * an approval whose use cannot be recorded is refused, not honoured.
   */
  check(nonce: string, exp: number, now: number): boolean {
    const used = this.load();
    for (const [n, e] of Object.entries(used)) if (e <= now) delete used[n];
    if (Object.hasOwn(used, nonce)) return true;
    if (Object.keys(used).length >= MAX_ENTRIES) {
      throw new UsedApprovalsError(`${this.path} holds ${MAX_ENTRIES} unexpired approvals; refusing more`);
    }
    used[nonce] = exp;
    this.save(used);
    return false;
  }

  private load(): Record<string, number> {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw new UsedApprovalsError(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed = UsedApprovalsFile.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(fileIssue(this.path, parsed.error.issues));
      return { ...parsed.data.used };
    } catch (err) {
      // Not knowing what was used means any approval could be a replay.
      throw new UsedApprovalsError(
        `${this.path} is not a valid approval ledger; remove it only if no approval is outstanding`,
        {
          cause: err,
        },
      );
    }
  }

  private save(used: Record<string, number>): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ v: 1, used })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw new UsedApprovalsError(`cannot record the approval in ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}
