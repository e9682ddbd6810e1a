/** One issue of a failed zod parse, as far as a message about it needs. */
export interface ParseIssue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `at a.b.c: message` for the first issue, the way every parse failure reads (agent and control plane). */
export function firstIssue(issues: readonly ParseIssue[]): { where: string; message: string } {
  const issue = issues[0];
  return {
    where: issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "",
    message: issue?.message ?? "invalid",
  };
}

/** `file: a.b: message` for a file's first issue, the way the agent reports a file it cannot use. */
export function fileIssue(file: string, issues: readonly ParseIssue[]): string {
  const issue = issues[0];
  return `${file}: ${issue?.path.join(".") || "(top level)"}: ${issue?.message ?? "invalid"}`;
}
