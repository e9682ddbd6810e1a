import type { BundleCollectData, StepName, StepRequest, StepResult } from "../../contract/catalog.ts";
import { slowestDeadlineMs, stepPlan } from "../../contract/catalog.ts";
import { errorMessage } from "../../contract/errors.ts";
import { LiveMessage } from "../chat/live-message.ts";
import { classifyResults } from "../classify/classify.ts";
import { incidentThread } from "../incidents/pipeline.ts";
import { noteTimeline } from "../incidents/record.ts";
import { endJobThreadUnwritable } from "../incidents/unwritable.ts";
import { createJob } from "../jobs/create.ts";
import { mergeResults } from "../jobs/results.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { BundleServices, TicketConfig, TicketRef } from "../ports/bundles.ts";
import type { CoreDeps, HostJob } from "../ports/deps.ts";
import type { IncidentThread, JobRecord } from "../ports/store.ts";
import type { JobOutcome } from "../ports/transport.ts";
import { buildArchive, type Manifest } from "./archive.ts";
import { keepBundle, ticketKeepMs } from "./keep.ts";
import {
  type BundleFile,
  renderBundleEnd,
  renderBundleProgress,
  renderBundleScan,
  renderBundleStart,
  renderTicketNotes,
  renderUploadFailed,
  summarize,
} from "./render.ts";
import { describeHits, type SecretHit } from "./scan.ts";
import { secondScan } from "./second-scan.ts";
import { deliverToTicket, ticketLabel, withRetry } from "./tickets.ts";

/**
 * Repro bundles (issue 5; seeds, connection-error article §5): collected on the host by the
 * `bundle.collect` step together with the fast triage probes, redacted there, scanned again
 * here (fail-closed), packed as a zip with a manifest and a redaction report, stored with a
 * retention period, linked through an expiring signed URL, uploaded into the incident thread
 * and attached to tickets.
 */

export function ticketConfigFor(services: BundleServices, workspace: string | undefined): TicketConfig {
  return (workspace !== undefined ? services.ticketsByWorkspace?.[workspace] : undefined) ?? services.tickets;
}

export const DEFAULT_BUNDLE_RETENTION_MS = 14 * 24 * 60 * 60 * 1000;
export const DEFAULT_BUNDLE_LINK_TTL_MS = 7 * 24 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long bundles are kept and links last, on both runtimes, from the parsed
 * CLAWOPS_BUNDLE_RETENTION_DAYS (unset: 14) and CLAWOPS_BUNDLE_LINK_HOURS (unset: 168): the link
 * never outlives the bundle.
 */
export function bundleLifetimes(
  retentionDays: number | undefined,
  linkHours: number | undefined,
): { retentionMs: number; linkTtlMs: number } {
  const retentionMs =
    retentionDays !== undefined && retentionDays > 0 ? retentionDays * DAY_MS : DEFAULT_BUNDLE_RETENTION_MS;
  const linkTtlMs = linkHours !== undefined && linkHours > 0 ? linkHours * 60 * 60 * 1000 : DEFAULT_BUNDLE_LINK_TTL_MS;
  return { retentionMs, linkTtlMs: Math.min(retentionMs, linkTtlMs) };
}

/** The fast triage probes a bundle carries: a fresh matrix and findings. */
const TRIAGE_PART = [
  "versions",
  "gateway.ws",
  "gateway.http",
  "port.listeners",
  "config",
  "tokens",
  "logs.signatures",
] as const satisfies readonly StepName[];
/** The collection plus the fast triage probes, in the order the bundle's incomplete list names them. */
export const BUNDLE_STEPS: StepRequest[] = stepPlan(["bundle.collect", ...TRIAGE_PART]);
export const BUNDLE_DEADLINE_MS = slowestDeadlineMs(BUNDLE_STEPS) + 5_000;

export type BundleOutcome =
  | { status: "stored"; bundleId: string; link: string; manifest: Manifest; summary: string; sizeBytes: number }
  | { status: "refused"; reason: string }
  | { status: "failed"; reason: string };

/**
 * For the recover runbook (issue 4): when a recover run fails, call this to collect a bundle
 * into the same thread. Needs `deps.bundles`; never throws (the outcome says what happened).
 * `requestKey` makes it idempotent: one bundle per failed run.
 */
export async function collectBundleOnRecoverFailure(
  deps: CoreDeps,
  req: { host: string; channel: string; user: string; requestKey: string; reason: string; tickets?: TicketRef[] },
): Promise<BundleOutcome> {
  try {
    const job = await createJob(deps, "bundle", req);
    if (!job) return { status: "failed", reason: "a bundle for this recover run was already collected" };
    return await runBundle(deps, job, { tickets: req.tickets ?? [], trigger: `recover failed: ${req.reason}` });
  } catch (err) {
    return { status: "failed", reason: errorMessage(err) };
  }
}

type BundleOptions = {
  tickets: TicketRef[];
  trigger?: string;
  ticketConfig?: TicketConfig;
  /** The command's reply address: told when the thread cannot be written. */
  responseUrl?: string | undefined;
};

/** What the phases of one bundle run share once its thread and progress message are up. */
type BundleRun = {
  deps: CoreDeps;
  job: JobRecord;
  opts: BundleOptions;
  services: BundleServices;
  incident: IncidentThread;
  log: { job: string; host: string };
  started: number;
  post: (message: Message) => ReturnType<CoreDeps["chat"]["postMessage"]>;
  finish: (status: JobRecord["status"], detail: string | null) => Promise<unknown>;
  progress: (message: Message) => Promise<unknown>;
};

/** A packed bundle that passed both scans, not yet stored. */
type PackedBundle = {
  bundleId: string;
  createdAt: string;
  expiresAt: number;
  link: string;
  summary: string;
  built: Awaited<ReturnType<typeof buildArchive>>;
};

/**
 * One bundle, in phases: open the thread, collect the parts from the host, list what is
 * missing, scan and pack, store and post, deliver to tickets.
 */
/** A bundle job as the scheduler runs it (router/host-jobs.ts): the workspace's own ticket systems. */
export async function bundleJob(deps: CoreDeps, j: Extract<HostJob, { kind: "bundle" }>): Promise<void> {
  const ticketConfig = deps.bundles.on ? ticketConfigFor(deps.bundles.use, j.workspace) : undefined;
  await runBundle(deps, j.job, {
    tickets: j.tickets,
    ...(ticketConfig ? { ticketConfig } : {}),
    ...(j.responseUrl ? { responseUrl: j.responseUrl } : {}),
  });
}

export async function runBundle(deps: CoreDeps, job: JobRecord, opts: BundleOptions): Promise<BundleOutcome> {
  const run = await openBundleThread(deps, job, opts);
  if ("status" in run) return run;
  const { outcome, all } = await collectParts(run);
  if (outcome.status === "rejected") {
    const reason = `the agent refused the job: ${outcome.error.code}: ${outcome.error.message}`;
    await run.progress(renderBundleEnd(job.host, { kind: "failed", reason }));
    await run.finish("rejected", reason);
    return { status: "failed", reason };
  }
  const incomplete = listIncomplete(outcome, all);
  const packed = await scanAndPack(run, all, incomplete);
  if ("status" in packed) return packed;
  const filename = await storeAndPost(run, packed);
  await deliverToTickets(run, packed, filename);
  const { built } = packed;
  await run.finish("done", built.manifest.complete ? null : `incomplete: ${incomplete.join("; ")}`.slice(0, 2_000));
  return {
    status: "stored",
    bundleId: packed.bundleId,
    link: packed.link,
    manifest: built.manifest,
    summary: packed.summary,
    sizeBytes: built.zip.byteLength,
  };
}

/** The incident thread and the bundle's progress message; an outcome when either cannot be had. */
async function openBundleThread(
  deps: CoreDeps,
  job: JobRecord,
  opts: BundleOptions,
): Promise<BundleRun | BundleOutcome> {
  const { chat, store, clock, logger } = deps;
  const services = deps.bundles.on ? deps.bundles.use : null;
  const log = { job: job.id, host: job.host };
  let incident: IncidentThread;
  try {
    incident = await incidentThread(deps, { channel: job.channel, host: job.host, actor: job.user });
  } catch (err) {
    await endJobThreadUnwritable(deps, job, err, opts.responseUrl);
    return { status: "failed", reason: errorMessage(err) };
  }
  const post = (message: Message) =>
    chat.postMessage({ channel: job.channel, threadTs: incident.threadTs, ...message });
  const finish = (status: JobRecord["status"], detail: string | null) =>
    store.updateJob(job.id, { status, finishedAt: clock.now(), detail });
  if (!services) {
    const reason = "Bundles are not configured on this control plane (no blob store).";
    await post(renderNotice(`⚠️ ${reason}`));
    await finish("rejected", reason);
    return { status: "failed", reason };
  }
  const started = clock.now();
  const live = new LiveMessage(chat, { channel: job.channel, threadTs: incident.threadTs });
  try {
    await live.show(renderBundleStart(job.host, job.id, opts.trigger));
  } catch (err) {
    await endJobThreadUnwritable(deps, job, err, opts.responseUrl);
    return { status: "failed", reason: errorMessage(err) };
  }
  await store.updateJob(job.id, { threadTs: incident.threadTs, progressTs: live.ts });
  // Edits after the first post: a failed one is logged, never the end of the bundle.
  const progress = (message: Message) =>
    live.show(message).catch((err) => logger.warn("bundle progress update failed", { ...log, err: String(err) }));
  return { deps, job, opts, services, incident, log, started, post, finish, progress };
}

/** Runs the bundle's steps on the host, streaming progress; `all` is every result that arrived. */
async function collectParts(run: BundleRun): Promise<{ outcome: JobOutcome; all: StepResult[] }> {
  const { deps, job } = run;
  const results: StepResult[] = [];
  const outcome: JobOutcome = await deps.transport.dispatch(
    job.host,
    { jobId: job.id, steps: BUNDLE_STEPS, deadlineMs: BUNDLE_DEADLINE_MS },
    (result) => {
      results.push(result);
      // The bundle's files are not kept in the job store: they pass the second scan first.
      if (result.step !== "bundle.collect") void deps.store.appendJobResult(job.id, result).catch(() => {});
      void run.progress(renderBundleProgress(job.host, results, BUNDLE_STEPS.length));
    },
  );
  if (outcome.status === "rejected") return { outcome, all: results };
  return { outcome, all: mergeResults(results, outcome.results) };
}

/** What the bundle lacks: why the job ended early, and each step with no result or not ok. */
function listIncomplete(outcome: Exclude<JobOutcome, { status: "rejected" }>, all: StepResult[]): string[] {
  const incomplete: string[] = [];
  if (outcome.status === "lost")
    incomplete.push(
      `agent connection lost mid-collection (${outcome.reason}); ${all.length}/${BUNDLE_STEPS.length} parts arrived`,
    );
  if (outcome.status === "timeout")
    incomplete.push(
      `job deadline of ${BUNDLE_DEADLINE_MS / 1000} s passed; ${all.length}/${BUNDLE_STEPS.length} parts arrived`,
    );
  for (const s of BUNDLE_STEPS) {
    const r = all.find((x) => x.step === s.step);
    if (!r) incomplete.push(`${s.step}: no result`);
    else if (r.status !== "ok")
      incomplete.push(`${s.step}: ${r.status}${r.error ? ` (${r.error.code}: ${r.error.message})` : ""}`);
  }
  return incomplete;
}

/**
 * Second, independent scan of everything that would leave: the files first, so the report
 * and the summary state what the scan found, then the manifest and summary themselves.
 * A hit refuses the bundle (fail-closed); otherwise the signed link and the packed zip.
 */
async function scanAndPack(
  run: BundleRun,
  all: StepResult[],
  incomplete: string[],
): Promise<PackedBundle | BundleOutcome> {
  const { deps, job, services } = run;
  const { clock, logger } = deps;
  const bundleId = deps.ids.id("bundle");
  const createdAt = new Date(clock.now()).toISOString();
  const files = assembleFiles(job, all, incomplete);
  const collect = all.find((r) => r.step === "bundle.collect");
  const collected = collect?.step === "bundle.collect" ? collect.data : undefined;
  await run.progress(renderBundleScan(files.length));
  const refuse = async (hits: SecretHit[]): Promise<BundleOutcome> => {
    const reason = `the control plane's second scan still found ${hits.length} possible secret(s) after host redaction — ${describeHits(hits)}. Nothing was stored, uploaded or attached.`;
    logger.warn("bundle refused by second scan", { ...run.log, hits: hits.length, where: describeHits(hits) });
    await noteTimeline(deps, job.host, {
      actor: job.user,
      kind: "bundle",
      text: `bundle refused: the second scan found ${hits.length} possible secret(s) (${describeHits(hits)}); nothing stored`,
      ref: job.id,
    });
    await run.progress(renderBundleEnd(job.host, { kind: "refused", reason }));
    await run.finish("rejected", `bundle refused: ${reason}`);
    return { status: "refused", reason };
  };
  const fileScan = await secondScan(files.map((f) => ({ where: f.name, text: f.content })));
  if (fileScan.hits.length > 0) return refuse(fileScan.hits);
  const redactionReport = {
    note: "Secrets removed on the host before the files left it, by kind and file. Values are never recorded.",
    total: (collected?.redactions ?? []).reduce((n, r) => n + r.count, 0),
    byKind: byKind(collected),
    byFile: collected?.redactions ?? [],
    secondScan: {
      rules: fileScan.rules,
      filesScanned: fileScan.scanned,
      findings: fileScan.hits.length,
      result: "passed: the control plane found no secret in any file",
    },
  };
  const expiresAt = clock.now() + services.retentionMs;
  const linkExpiresAt = Math.min(expiresAt, clock.now() + services.linkTtlMs);
  const link = await services.signer.sign(services.publicUrl, bundleId, linkExpiresAt);
  const built = await buildArchive({ bundleId, host: job.host, createdAt, incomplete }, files, redactionReport);
  const summary = summarize(job.host, bundleId, built.manifest, files, redactionReport, fileScan, link, linkExpiresAt);
  const outerScan = await secondScan([
    { where: "manifest.json", text: JSON.stringify(built.manifest) },
    { where: "redaction-report.json", text: JSON.stringify(redactionReport) },
    { where: "summary message", text: summary },
  ]);
  if (outerScan.hits.length > 0) return refuse(outerScan.hits);
  return { bundleId, createdAt, expiresAt, link, summary, built };
}

/** Stores the zip, posts the summary as the job's result message and uploads the zip; returns its file name. */
async function storeAndPost(run: BundleRun, packed: PackedBundle): Promise<string> {
  const { deps, job, services, incident } = run;
  const { chat, store, clock, logger } = deps;
  const { bundleId, createdAt, built } = packed;
  await services.blobs.put(`${bundleId}.zip`, built.zip, {
    contentType: "application/zip",
    createdAt: clock.now(),
    expiresAt: packed.expiresAt,
  });
  const filename = `clawops-bundle-${job.host}-${createdAt.replace(/[-:]/g, "").slice(0, 15)}.zip`;
  await run.progress(
    renderBundleEnd(job.host, {
      kind: "stored",
      bundleId,
      complete: built.manifest.complete,
      ms: Math.round(clock.now() - run.started),
    }),
  );
  await noteTimeline(deps, job.host, {
    actor: job.user,
    kind: "bundle",
    text: `bundle ${bundleId} stored (${built.manifest.complete ? "complete" : "INCOMPLETE"}, ${Math.round(built.zip.byteLength / 1024)} KiB, kept until ${new Date(packed.expiresAt).toISOString().slice(0, 10)})`,
    ref: bundleId,
  });
  const summaryMessage = await run.post(renderNotice(packed.summary));
  // The summary is the job's result message: `clawops bundle` and the console follow it.
  await store.updateJob(job.id, { resultTs: summaryMessage.ts });

  if (chat.uploadFile) {
    try {
      await chat.uploadFile({
        channel: job.channel,
        threadTs: incident.threadTs,
        filename,
        title: `Repro bundle ${job.host} ${createdAt}`,
        bytes: built.zip,
        initialComment: `Repro bundle \`${bundleId}\` (${built.manifest.complete ? "complete" : "INCOMPLETE"}; manifest.json inside lists each file's SHA-256).`,
      });
      await noteTimeline(deps, job.host, {
        actor: job.user,
        kind: "bundle",
        text: `bundle ${bundleId} uploaded to the thread as ${filename}`,
        ref: bundleId,
      });
    } catch (err) {
      logger.warn("bundle upload failed", { ...run.log, err: String(err) });
      await noteTimeline(deps, job.host, {
        actor: job.user,
        kind: "bundle",
        text: `bundle ${bundleId} not uploaded to the thread: ${String(err).slice(0, 200)}`,
        ref: bundleId,
      });
      await run.post(renderUploadFailed(String(err)));
    }
  }
  return filename;
}

/**
 * Attaches the bundle to each requested ticket, with retries, and posts one note per ticket. A
 * GitHub issue gets a link, not the file: that link and the bundle are kept as long as a ticket
 * needs them (CLAWOPS_TICKET_LINK_DAYS, renewable from the thread), not the link's usual days.
 */
async function deliverToTickets(run: BundleRun, packed: PackedBundle, filename: string): Promise<void> {
  const { deps, job, opts, services } = run;
  const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
  const ticketNotes: string[] = [];
  let kept: { link: string; keptUntil: number } | null = null;
  for (const ticket of opts.tickets) {
    const label = ticketLabel(ticket);
    let tries = 0;
    try {
      if (ticket.system === "github" && !kept) {
        const now = deps.clock.now();
        kept = await keepBundle(services, packed.bundleId, now + ticketKeepMs(services), now, packed.built.zip);
      }
      const link = ticket.system === "github" && kept ? kept.link : packed.link;
      const r = await withRetry(retry.attempts, retry.baseMs, (attempt) => {
        tries = attempt;
        return deliverToTicket(
          opts.ticketConfig ?? services.tickets,
          ticket,
          {
            filename,
            bytes: packed.built.zip,
            summary: withoutDownloadLine(packed.summary),
            link,
            ...(kept ? { linkExpiresAt: kept.keptUntil } : {}),
          },
          services.fetch,
        );
      });
      ticketNotes.push(`✅ ${label}${r.url ? ` (${r.url})` : ""}`);
      await recordTicketDelivery(run, ticket, packed.bundleId, ticket.system === "github" ? kept : null);
    } catch (err) {
      const message = errorMessage(err);
      deps.logger.warn("ticket delivery failed", { ...run.log, ticket: label, err: message });
      ticketNotes.push(
        `❌ ${label}: ${message} (after ${tries} ${tries === 1 ? "try" : "tries"}; the bundle is kept, retry with \`/openclaw bundle ${job.host} --ticket ${label}\`)`,
      );
      await noteTimeline(deps, job.host, {
        actor: job.user,
        kind: "ticket",
        text: `bundle ${packed.bundleId} not delivered to ${label}: ${message.slice(0, 300)}`,
        ref: ticket.record ?? null,
      });
    }
  }
  if (ticketNotes.length) await run.post(renderTicketNotes(ticketNotes));
}

/** The summary without its own download line: a ticket gets the link it keeps (or the file). */
function withoutDownloadLine(summary: string): string {
  return summary
    .split("\n")
    .filter((l) => !l.startsWith("Download (expires "))
    .join("\n");
}

/** The timeline's line for a delivery, and the incident ticket's record learns its bundle. */
async function recordTicketDelivery(
  run: BundleRun,
  ticket: TicketRef,
  bundleId: string,
  kept: { keptUntil: number } | null,
): Promise<void> {
  const { deps, job } = run;
  const until = kept ? `, its link kept until ${new Date(kept.keptUntil).toISOString().slice(0, 10)}` : "";
  await noteTimeline(deps, job.host, {
    actor: job.user,
    kind: "ticket",
    text: `bundle ${bundleId} ${ticket.system === "jira" ? "attached to" : "linked in"} ${ticketLabel(ticket)}${until}`,
    ref: ticket.record ?? bundleId,
  });
  if (ticket.record) {
    await deps.store
      .updateTicket(ticket.record, {
        bundleId,
        keptUntil: kept?.keptUntil ?? null,
        updatedAt: deps.clock.now(),
      })
      .catch((err) => deps.logger.warn("ticket record not updated", { ...run.log, err: errorMessage(err) }));
  }
}

type File = BundleFile;

/** The agent's files, plus what the control plane knows: the triage result and the running config hash. */
function assembleFiles(job: JobRecord, results: StepResult[], incomplete: string[]): File[] {
  const collect = results.find((r) => r.step === "bundle.collect");
  const data = collect?.step === "bundle.collect" ? collect.data : undefined;
  const files: File[] = data ? data.files.map((f) => ({ ...f })) : [];
  if (data?.capped) incomplete.push(data.capped);
  for (const s of data?.skipped ?? []) incomplete.push(`${s.name}: not collected (${s.reason})`);
  if (!data) {
    files.push({
      name: "MISSING.txt",
      content: `The host's files (logs, config, CLI output, timeline) did not arrive:\n${incomplete.map((i) => `- ${i}`).join("\n")}\nThis bundle holds only the probes that did arrive (triage.json).\n`,
      complete: false,
      reason: "bundle.collect did not arrive",
    });
  }
  const ws = results.find((r) => r.step === "gateway.ws");
  const server = ws?.step === "gateway.ws" ? ws.data?.server : undefined;
  const timeline = files.find((f) => f.name === "timeline.json");
  if (timeline) {
    try {
      const parsed = JSON.parse(timeline.content) as Record<string, unknown>;
      parsed.runningConfigHash = server?.appliedConfigHash ?? null;
      parsed.runningGateway = server
        ? {
            version: server.version ?? null,
            uptimeMs: server.uptimeMs ?? null,
            startedAt:
              server.uptimeMs !== undefined && data
                ? new Date(Date.parse(data.collectedAt) - server.uptimeMs).toISOString()
                : null,
          }
        : null;
      timeline.content = `${JSON.stringify(parsed, null, 2)}\n`;
    } catch {
      // Left as the agent wrote it.
    }
  }
  const triage = results.filter((r) => r.step !== "bundle.collect");
  const c12n = classifyResults(triage, TRIAGE_PART);
  files.push({
    name: "triage.json",
    content: `${JSON.stringify({ host: job.host, jobId: job.id, matrix: c12n.matrix, findings: c12n.findings, results: triage }, null, 2)}\n`,
    complete: TRIAGE_PART.every((s) => triage.some((r) => r.step === s && r.status === "ok")),
    ...(TRIAGE_PART.every((s) => triage.some((r) => r.step === s && r.status === "ok"))
      ? {}
      : { reason: "some probes did not arrive or did not finish" }),
  });
  return files.sort((a, b) => a.name.localeCompare(b.name));
}

function byKind(data: BundleCollectData | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of data?.redactions ?? []) out[r.kind] = (out[r.kind] ?? 0) + r.count;
  return out;
}
