import { encodeOneShotDone, encodeOneShotRejected, parseStepSpec, SSM_OUTPUT_BUDGET } from "../contract/ssm-output.ts";
import { createJobRunner } from "./job-runner.ts";

/** Exit code for a refused job (bad step spec or deadline), as sysexits' EX_USAGE. */
export const ONESHOT_REJECTED_EXIT = 64;
const MAX_DEADLINE_MS = 600_000;

/**
 * `clawops-agent oneshot --steps SPEC [--deadline-ms N]`: runs named catalog steps once, with
 * the same runner, deadlines and redaction as `run`, and prints the results as self-checking
 * frames sized for SSM Run Command's 24,000-character stdout (src/contract/ssm-output.ts).
 * Exits 0 when results were printed (probes that failed are results too), 64 when refused.
 */
export async function runOneShot(
  opts: { steps: string | undefined; deadlineMs: string | undefined },
  env: NodeJS.ProcessEnv,
  write: (text: string) => void,
): Promise<number> {
  const refuse = (message: string) => {
    write(encodeOneShotRejected({ code: "bad_job", message }));
    return ONESHOT_REJECTED_EXIT;
  };
  if (!opts.steps) return refuse("--steps is required, e.g. --steps versions,gateway.ws:timeoutMs=5000");
  const spec = parseStepSpec(opts.steps);
  if (!spec.ok) return refuse(spec.message);
  const deadlineMs = opts.deadlineMs === undefined ? 30_000 : Number(opts.deadlineMs);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 100 || deadlineMs > MAX_DEADLINE_MS) {
    return refuse(`--deadline-ms must be an integer from 100 to ${MAX_DEADLINE_MS}`);
  }
  const runner = createJobRunner(env);
  const results = await runner.run({ type: "job.run", jobId: "oneshot", steps: spec.steps, deadlineMs }, () => {});
  write(encodeOneShotDone(results, SSM_OUTPUT_BUDGET));
  return 0;
}
