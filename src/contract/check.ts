/**
 * What checking a value against a schema needs, in zod's `safeParse` shape. zod's schemas have it,
 * and so do the agent's validators generated from them (src/agent/checks.ts), so a contract helper
 * that checks a value (parseFrame, verifyApproval, parseStepSpec) takes either.
 */
export interface Check<T> {
  safeParse(value: unknown): CheckResult<T>;
}

export type CheckResult<T> = { success: true; data: T } | { success: false; error: { issues: readonly CheckIssue[] } };

export interface CheckIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `at a.b.c: message` for the first issue, the way every check failure reads. */
export function firstIssue(issues: readonly CheckIssue[]): { where: string; message: string } {
  const issue = issues[0];
  return {
    where: issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "",
    message: issue?.message ?? "invalid",
  };
}
