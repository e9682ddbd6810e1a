import type { Check, CheckIssue, CheckResult } from "../contract/check.ts";
import type { Validate } from "./checks.generated.js";

/**
 * How the agent checks a value: with a validator generated from the value's zod schema
 * (scripts/gen-agent-checks.ts writes `checks.generated.js`), in zod's `safeParse` shape: each
 * module wraps the validators of its own schemas, `check<AgentPolicy>(generated.AgentPolicy)`.
 * The agent's bundle has no zod (scripts/build-agent.ts); the schemas stay the one definition and
 * the control plane parses with them. Each check fills in its schema's defaults, as zod's parse does, on the
 * value it was given; unlike zod it keeps keys the schema does not name (the agent reads only the
 * ones it names).
 */
export function check<T>(validate: Validate): Check<T> {
  return {
    safeParse(value: unknown): CheckResult<T> {
      if (validate(value)) return { success: true, data: value as T };
      return {
        success: false,
        error: {
          issues: (validate.errors ?? []).map((e) => ({
            path: [...pointerPath(e.instancePath), ...missingKey(e)],
            message: e.message ?? "invalid",
          })),
        },
      };
    },
  };
}

/** `/steps/0/args` (a JSON pointer) as `["steps", "0", "args"]`. */
function pointerPath(pointer: string): string[] {
  return pointer
    .split("/")
    .slice(1)
    .map((p) => p.replaceAll("~1", "/").replaceAll("~0", "~"));
}

/** ajv points at the object for a missing key or a wrong tag; zod, as the agent's messages do, at the key. */
function missingKey(e: { keyword: string; params: Record<string, unknown> }): string[] {
  const key =
    e.keyword === "required" ? e.params.missingProperty : e.keyword === "discriminator" ? e.params.tag : undefined;
  return typeof key === "string" ? [key] : [];
}

/** `file: a.b: message` for a file's first issue, the way the agent reports a file it cannot use. */
export function fileIssue(file: string, issues: readonly CheckIssue[]): string {
  const issue = issues[0];
  return `${file}: ${issue?.path.join(".") || "(top level)"}: ${issue?.message ?? "invalid"}`;
}

/** `check.safeParse`, or an error that says what is wrong where (zod's `parse`). */
export function parseOrThrow<T>(c: Check<T>, value: unknown, file: string): T {
  const parsed = c.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new Error(fileIssue(file, parsed.error.issues));
}
