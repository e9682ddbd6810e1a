import { GetCommandInvocationCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { SLOW_STEPS, type StepRequest, type StepResult } from "../contract/catalog.ts";
import { decodeOneShot, formatStepSpec, missingStepResults } from "../contract/ssm-output.ts";
import type { Logger } from "../core/ports/basics.ts";
import type { HostTransport, JobOutcome, JobSpec } from "../core/ports/transport.ts";
import type { SsmInventory } from "./ssm-inventory.ts";

// ---------------------------------------------------------------------------------------
// Transport

export interface SsmTransportOptions {
  client: SSMClient;
  inventory: SsmInventory;
  logger: Logger;
  /** Polling backoff for GetCommandInvocation. */
  poll?: { initialMs?: number; maxMs?: number; factor?: number };
  /** Seconds SSM allows the script beyond the job's deadline (Node start-up, output) before it stops it. */
  executionGraceSeconds?: number;
  /** SSM's delivery timeout (SendCommand TimeoutSeconds; SSM's minimum is 30). */
  deliveryTimeoutSeconds?: number;
  /** Told when a host answered, with the versions its agent reported. */
  onSeen?: (host: string, seen: { agentVersion?: string | null; gatewayVersion?: string | null }) => void;
  /** Injectable for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

/** Consecutive GetCommandInvocation errors (other than InvocationDoesNotExist) before giving up. */
const MAX_POLL_FAILURES = 3;

/** Statuses after which GetCommandInvocation's answer no longer changes. */
const TERMINAL = new Set(["Success", "Failed", "TimedOut", "Cancelled"]);

type GroupOutcome =
  | { kind: "results"; results: StepResult[] }
  | { kind: "lost"; reason: string; results: StepResult[] }
  | { kind: "timeout"; results: StepResult[] }
  | { kind: "rejected"; error: { code: string; message: string } };

/**
 * Runs jobs through AWS Systems Manager Run Command: one SendCommand of the clawops document
 * per group of steps (fast steps and slow CLI steps go as two commands, so the first answer
 * does not wait for `doctor --lint`), then GetCommandInvocation with backoff until a terminal
 * status. The agent's one-shot output is decoded into the same StepResults the agent hub
 * delivers, so triage and classification do not know which transport ran.
 */
export class SsmTransport implements HostTransport {
  private readonly opts: SsmTransportOptions;
  private readonly hosts: Map<string, { instanceId: string; runAs?: string }>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(opts: SsmTransportOptions) {
    this.opts = opts;
    this.hosts = new Map(opts.inventory.hosts.map((h) => [h.host, { instanceId: h.instanceId, runAs: h.runAs }]));
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /** Is this host reached through SSM (named in the inventory)? */
  has(host: string): boolean {
    return this.hosts.has(host);
  }

  hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  /**
   * SSM hosts have no standing connection to watch: a mapped host counts as reachable, and a
   * node that is not (stopped, SSM agent down) comes back as DeliveryTimedOut/Undeliverable.
   */
  async isOnline(host: string): Promise<boolean> {
    return this.hosts.has(host);
  }

  async dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome> {
    const target = this.hosts.get(host);
    if (!target) {
      return {
        status: "lost",
        reason: `host ${host} is not in the SSM inventory (CLAWOPS_SSM_INVENTORY); add it with its instance id`,
        results: [],
        offline: true,
      };
    }
    const fast = job.steps.filter((s) => !SLOW_STEPS.has(s.step));
    const slow = job.steps.filter((s) => SLOW_STEPS.has(s.step));
    const groups = [fast, slow].filter((g) => g.length > 0);
    const outcomes = await Promise.all(
      groups.map(async (steps, i) => {
        const outcome = await this.runGroup(host, target, job, steps, i).catch(
          (err: unknown): GroupOutcome => ({
            kind: "lost",
            reason: `SSM call failed: ${describeAwsError(err)}`,
            results: [],
          }),
        );
        if (outcome.kind !== "rejected") for (const r of outcome.results) onProgress(r);
        return outcome;
      }),
    );
    const results = outcomes.flatMap((o) => (o.kind === "rejected" ? [] : o.results));
    const rejected = outcomes.find((o) => o.kind === "rejected");
    if (rejected) return { status: "rejected", error: rejected.error };
    const lost = outcomes.filter((o) => o.kind === "lost");
    if (lost.length > 0) return { status: "lost", reason: lost.map((o) => o.reason).join("; "), results };
    if (outcomes.some((o) => o.kind === "timeout")) return { status: "timeout", results };
    return { status: "done", results };
  }

  /** Sends the group's steps to the instance; its CommandId, or a `lost` outcome when SSM refuses. */
  private async sendCommand(
    host: string,
    target: { instanceId: string; runAs?: string },
    job: JobSpec,
    steps: StepRequest[],
    log: Record<string, unknown>,
    deliveryTimeoutS: number,
    executionTimeoutS: number,
  ): Promise<string | GroupOutcome> {
    const { client, inventory, logger } = this.opts;
    const runAs = target.runAs ?? inventory.runAs;
    try {
      const sent = await client.send(
        new SendCommandCommand({
          DocumentName: inventory.documentName,
          InstanceIds: [target.instanceId],
          Comment: `clawops ${job.jobId} ${host}`.slice(0, 100),
          TimeoutSeconds: deliveryTimeoutS,
          Parameters: {
            Steps: [formatStepSpec(steps)],
            DeadlineMs: [String(job.deadlineMs)],
            executionTimeout: [String(executionTimeoutS)],
            ...(runAs ? { RunAs: [runAs] } : {}),
          },
        }),
      );
      if (!sent.Command?.CommandId) throw new Error("SendCommand returned no CommandId");
      return sent.Command.CommandId;
    } catch (err) {
      const name = (err as { name?: string }).name;
      logger.warn("ssm send failed", { ...log, err: describeAwsError(err) });
      if (name === "InvalidInstanceId") {
        return {
          kind: "lost",
          reason: `SSM does not know ${target.instanceId} as a managed node in this region (InvalidInstanceId): check the inventory and that the SSM agent runs there`,
          results: [],
        };
      }
      return { kind: "lost", reason: `SSM refused SendCommand: ${describeAwsError(err)}`, results: [] };
    }
  }

  private async runGroup(
    host: string,
    target: { instanceId: string; runAs?: string },
    job: JobSpec,
    steps: StepRequest[],
    index: number,
  ): Promise<GroupOutcome> {
    const { client, logger } = this.opts;
    const log = { job: job.jobId, host, instance: target.instanceId, group: index };
    const executionTimeoutS = Math.max(1, Math.ceil(job.deadlineMs / 1000) + (this.opts.executionGraceSeconds ?? 15));
    const deliveryTimeoutS = Math.max(30, this.opts.deliveryTimeoutSeconds ?? 30);
    const sent = await this.sendCommand(host, target, job, steps, log, deliveryTimeoutS, executionTimeoutS);
    if (typeof sent !== "string") return sent;
    const commandId = sent;
    logger.info("ssm command sent", { ...log, command: commandId });

    const requested = steps.map((s) => s.step);
    const pollUntil = Date.now() + job.deadlineMs + (deliveryTimeoutS + 30) * 1000;
    let wait = this.opts.poll?.initialMs ?? 500;
    const maxWait = this.opts.poll?.maxMs ?? 5_000;
    const factor = this.opts.poll?.factor ?? 1.6;
    let failures = 0;
    for (let attempt = 0; ; attempt++) {
      await this.sleep(wait);
      wait = Math.min(maxWait, Math.round(wait * factor));
      let inv: Awaited<ReturnType<typeof getInvocation>>;
      try {
        inv = await getInvocation(client, commandId, target.instanceId);
        failures = 0;
      } catch (err) {
        if (Date.now() >= pollUntil) throw err;
        // Right after SendCommand the invocation may not exist yet: keep polling.
        if ((err as { name?: string }).name === "InvocationDoesNotExist") continue;
        // Throttling or a passing fault (the SDK already retried): a few in a row are tolerated.
        if (++failures < MAX_POLL_FAILURES) {
          logger.warn("ssm poll failed; retrying", { ...log, command: commandId, err: describeAwsError(err) });
          continue;
        }
        throw err;
      }
      const status = inv.Status ?? "Pending";
      if (!TERMINAL.has(status)) {
        if (Date.now() >= pollUntil) {
          logger.warn("ssm command still not finished at the deadline", { ...log, command: commandId, status });
          return { kind: "timeout", results: [] };
        }
        continue;
      }
      const details = (inv.StatusDetails ?? "").replace(/\s+/g, "");
      logger.info("ssm command finished", {
        ...log,
        command: commandId,
        status,
        details,
        code: inv.ResponseCode ?? null,
        polls: attempt + 1,
      });
      const outcome = interpret(status, details, inv, { requested, instanceId: target.instanceId, commandId });
      if (outcome.kind === "results" || (outcome.kind === "rejected" && status !== "Failed")) {
        const versions = outcome.kind === "results" ? outcome.results.find((r) => r.step === "versions") : undefined;
        const data = versions?.step === "versions" ? versions.data : undefined;
        this.opts.onSeen?.(host, data ? { agentVersion: data.agent, gatewayVersion: data.openclaw } : {});
      }
      return outcome;
    }
  }
}

function getInvocation(client: SSMClient, commandId: string, instanceId: string) {
  return client.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
}

function interpret(
  status: string,
  details: string,
  inv: { StandardOutputContent?: string; ResponseCode?: number },
  ctx: { requested: StepRequest["step"][]; instanceId: string; commandId: string },
): GroupOutcome {
  const where = `${ctx.instanceId}, command ${ctx.commandId}`;
  if (details === "Undeliverable") {
    return {
      kind: "lost",
      reason: `SSM could not deliver the command to ${where} (Undeliverable): the node is gone or its SSM agent is not registered`,
      results: [],
    };
  }
  if (details === "DeliveryTimedOut") {
    return {
      kind: "lost",
      reason: `SSM did not deliver the command to ${where} in time (DeliveryTimedOut): the node is stopped or its SSM agent is not running`,
      results: [],
    };
  }
  if (details === "Terminated") {
    return { kind: "lost", reason: `SSM terminated the command on ${where} (Terminated)`, results: [] };
  }
  if (status === "Cancelled") {
    return { kind: "lost", reason: `the SSM command on ${where} was cancelled`, results: [] };
  }
  const decoded = decodeOneShot(inv.StandardOutputContent ?? "");
  if (decoded.kind === "rejected") return { kind: "rejected", error: decoded.error };
  if (status === "TimedOut") {
    // ExecutionTimedOut: the agent was stopped before it printed; nothing half-read is used.
    const got = decoded.kind === "done" ? decoded.results : [];
    return {
      kind: "timeout",
      results: [
        ...got,
        ...missingStepResults(ctx.requested, got, {
          code: "ssm_execution_timeout",
          message: `SSM stopped the command on ${where} at its execution timeout`,
        }),
      ],
    };
  }
  if (decoded.kind === "none") {
    const code = inv.ResponseCode ?? null;
    return {
      kind: "lost",
      reason:
        status === "Failed"
          ? `the clawops document failed on ${where} (exit ${code}) before the agent printed a result: check that clawops is installed in /opt/clawops (see the command's output in the SSM console)`
          : `the command on ${where} printed no clawops result (is the document infra/ssm/clawops-probe.json?)`,
      results: [],
    };
  }
  const results = [
    ...decoded.results,
    ...missingStepResults(
      ctx.requested,
      decoded.results,
      decoded.truncated
        ? {
            code: "ssm_output_truncated",
            message: `the result was cut by SSM's 24,000-character output limit (${where}); run fewer steps at once`,
          }
        : { code: "ssm_result_missing", message: `the agent's output on ${where} had no result for this step` },
    ),
  ];
  if (status === "Failed") {
    return { kind: "lost", reason: `the agent exited ${inv.ResponseCode ?? "non-zero"} on ${where}`, results };
  }
  return { kind: "results", results };
}

function describeAwsError(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { name?: string; message?: string };
    return `${e.name ?? "Error"}: ${(e.message ?? "").slice(0, 300)}`;
  }
  return String(err);
}

// ---------------------------------------------------------------------------------------
// Routing: SSM for inventory hosts, the agent hub for the rest.

/** Sends each host's jobs through SSM when the inventory names it (or CLAWOPS_TRANSPORT=ssm), else to `fallback`. */
export class RoutingTransport implements HostTransport {
  private readonly ssm: SsmTransport;
  private readonly fallback: HostTransport | null;

  constructor(ssm: SsmTransport, fallback: HostTransport | null) {
    this.ssm = ssm;
    this.fallback = fallback;
  }

  isOnline(host: string): Promise<boolean> {
    if (this.ssm.has(host) || !this.fallback) return this.ssm.isOnline(host);
    return this.fallback.isOnline(host);
  }

  dispatch(host: string, job: JobSpec, onProgress: (result: StepResult) => void): Promise<JobOutcome> {
    if (this.ssm.has(host) || !this.fallback) return this.ssm.dispatch(host, job, onProgress);
    return this.fallback.dispatch(host, job, onProgress);
  }

  /** SSM hosts hold no connection; agent-hub hosts are dropped by the hub. */
  async disconnect(host: string, reason: string): Promise<boolean> {
    if (this.ssm.has(host) || !this.fallback?.disconnect) return false;
    return this.fallback.disconnect(host, reason);
  }
}
