import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { APPROVAL_CLOCK_SKEW_MS, MAX_APPROVAL_TTL_MS } from "../contract/approval.ts";
import { fileIssue } from "../contract/issues.ts";
import { isoTime } from "./icu-free.ts";
import { UsedApprovalsFile } from "./schemas.ts";

/**
 * Nonces of approvals this agent has already honoured, kept in its state folder (issue 15, item
 * 4: in memory only, an approval was good again after an agent restart, and a one-shot agent
 * never remembered it at all). Read and written on every check, so every process on the folder
 * sees the same ledger; the write is atomic (temp file, fsync, rename) and 0600. A nonce is
 * recorded before the step runs: a crash mid-step leaves the approval spent, never reusable.
 *
 * How long a nonce is kept is not read off the wall clock alone (issue 32, item 4: the clock
 * went forward, the nonce was forgotten as expired, the clock went back, and the same approval
 * restarted the gateway again). The ledger keeps the latest wall-clock time it was consulted at
 * (`clockSeen`) and forgets a nonce only once that is past the approval's expiry plus the skew
 * the agent tolerates (APPROVAL_CLOCK_SKEW_MS); and it accepts no approval while the clock is
 * more than that skew behind `clockSeen`. So a forgotten approval has expired under every clock
 * the agent accepts: a replay after any jump is refused.
 */
export const USED_APPROVALS_FILE = "used-approvals.json";

/** More than any host sees in an approval lifetime (≤ 10 min); a bound on the file, not a policy. */
const MAX_ENTRIES = 10_000;

export class UsedApprovalsError extends Error {
  readonly code: "approval_ledger_unavailable" | "approval_clock_went_back" = "approval_ledger_unavailable";
}

/** The host's clock is behind a time an approval was already checked at: no approval is taken. */
export class ClockWentBackError extends UsedApprovalsError {
  override readonly code = "approval_clock_went_back";
}

type Ledger = { used: Record<string, number>; clockSeen: number };

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
    const { used, clockSeen } = this.load();
    if (now < clockSeen - APPROVAL_CLOCK_SKEW_MS) {
      const behindS = Math.round((clockSeen - now) / 1000);
      throw new ClockWentBackError(
        `this host's clock is ${behindS} s behind ${isoTime(clockSeen)}, when an approval was last checked; ` +
          "no approval is taken until the clock passes that time again (an approval replayed across a clock change is what this stops). " +
          `If that time was wrong and no approval issued before now is outstanding, remove ${this.path}.`,
      );
    }
    const seen = Math.max(clockSeen, now);
    // Forgotten only once no clock the agent accepts would find the approval unexpired.
    for (const [n, e] of Object.entries(used)) if (e + APPROVAL_CLOCK_SKEW_MS <= seen) delete used[n];
    if (Object.hasOwn(used, nonce)) return true;
    if (Object.keys(used).length >= MAX_ENTRIES) {
      throw new UsedApprovalsError(`${this.path} holds ${MAX_ENTRIES} unexpired approvals; refusing more`);
    }
    used[nonce] = exp;
    this.save({ used, clockSeen: seen });
    return false;
  }

  private load(): Ledger {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return { used: {}, clockSeen: 0 };
      throw new UsedApprovalsError(`cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed = UsedApprovalsFile.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(fileIssue(this.path, parsed.error.issues));
      const file = parsed.data;
      // A file from before clockSeen was kept: each nonce was checked no earlier than its expiry
      // less an approval's longest life and the skew, the best lower bound there is.
      const clockSeen =
        file.clockSeen ??
        Math.max(0, ...Object.values(file.used).map((e) => e - MAX_APPROVAL_TTL_MS - APPROVAL_CLOCK_SKEW_MS));
      return { used: { ...file.used }, clockSeen };
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

  private save({ used, clockSeen }: Ledger): void {
    const tmp = `${this.path}.${process.pid}.tmp`;
    try {
      const fd = openSync(tmp, "w", 0o600);
      try {
        writeSync(fd, `${JSON.stringify({ v: 1, used, clockSeen })}\n`);
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
