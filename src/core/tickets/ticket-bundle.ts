import { errorMessage } from "../../contract/errors.ts";
import { keepBundle, ticketKeepMs } from "../bundles/keep.ts";
import { deliverToTicket, withRetry } from "../bundles/tickets.ts";
import { ClawopsError } from "../errors.ts";
import { noteIncidentEvent } from "../incidents/record.ts";
import { createJob } from "../jobs/create.ts";
import type { BundleServices, TicketConfig, TicketRef } from "../ports/bundles.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { IncidentTicket, TicketBook, TicketSystem } from "../ports/ticket-book.ts";
import type { CommandRequest } from "../requests/types.ts";
import type { BundleNote } from "./content.ts";
import type { IncidentStory } from "./story.ts";

/** One ticket command's run, as open.ts and this file share it. */
export interface TicketRun {
  deps: CoreDeps;
  req: CommandRequest;
  story: IncidentStory;
  system: TicketSystem;
  services: BundleServices;
  config: TicketConfig;
  book: TicketBook;
  host: string;
}

/**
 * The bundle a ticket carries: the incident's last stored bundle (kept long and linked, for
 * GitHub; attached after the create, for Jira), else one collected now into the thread and
 * delivered to the ticket by the bundle job, else none and why.
 */
export type TicketBundle = { note: BundleNote; attach: { id: string } | null; collect: boolean };

export async function bundleForTicket(
  run: TicketRun,
  system: TicketSystem,
  already: string | null,
): Promise<TicketBundle> {
  const { deps, story, services } = run;
  if (story.bundle && story.bundle.id !== already) {
    const blob = await services.blobs.get(`${story.bundle.id}.zip`).catch(() => null);
    if (blob && blob.meta.expiresAt > deps.clock.now()) {
      if (system === "jira")
        return { note: { kind: "attached", id: story.bundle.id }, attach: story.bundle, collect: false };
      const now = deps.clock.now();
      const kept = await keepBundle(services, story.bundle.id, now + ticketKeepMs(services), now);
      return {
        note: { kind: "linked", id: story.bundle.id, link: kept.link, until: kept.keptUntil },
        attach: null,
        collect: false,
      };
    }
  }
  if (story.bundle && story.bundle.id === already) {
    return { note: { kind: "none", why: `bundle ${already} is on this ticket already` }, attach: null, collect: false };
  }
  if (!(await deps.transport.isOnline(run.host).catch(() => false))) {
    return {
      note: { kind: "none", why: `none was collected and ${run.host}'s agent is offline` },
      attach: null,
      collect: false,
    };
  }
  return { note: { kind: "collecting", jobId: null }, attach: null, collect: true };
}

/**
 * Attaches the incident's bundle to a Jira ticket, or queues a bundle job that delivers a new
 * one to the ticket; the note the thread shows for it. A failed attachment is told, never the
 * end of the ticket (it is open and recorded).
 */
export async function deliverBundle(
  run: TicketRun,
  t: IncidentTicket,
  bundle: TicketBundle,
): Promise<BundleNote | null> {
  const { deps, story, config, services } = run;
  if (bundle.attach && t.system === "jira") {
    const blob = await services.blobs.get(`${bundle.attach.id}.zip`);
    const retry = services.retry ?? { attempts: 3, baseMs: 1_000 };
    try {
      if (!blob) throw new ClawopsError("bundle_not_found", `bundle ${bundle.attach.id} is no longer kept`);
      await withRetry(retry.attempts, retry.baseMs, () =>
        deliverToTicket(
          config,
          { system: "jira", key: t.key },
          {
            filename: `clawops-bundle-${run.host}-${bundle.attach?.id}.zip`,
            bytes: blob.bytes,
            summary: "",
            link: "",
          },
          services.fetch,
        ),
      );
      await run.book.updateTicket(t.id, { bundleId: bundle.attach.id, updatedAt: deps.clock.now() });
      await noteIncidentEvent(deps, story.incident, {
        actor: run.req.user,
        kind: "ticket",
        text: `bundle ${bundle.attach.id} attached to ${t.key}`,
        ref: t.id,
      });
      return null;
    } catch (err) {
      const message = errorMessage(err);
      await noteIncidentEvent(deps, story.incident, {
        actor: run.req.user,
        kind: "ticket",
        text: `bundle ${bundle.attach.id} not attached to ${t.key}: ${message}`.slice(0, 500),
        ref: t.id,
      });
      return {
        kind: "none",
        why: `attaching bundle ${bundle.attach.id} failed (${message}); \`/openclaw ticket ${story.incident.id} new\` comments with it again`,
      };
    }
  }
  if (bundle.note.kind === "linked") {
    await run.book.updateTicket(t.id, {
      bundleId: bundle.note.id,
      keptUntil: bundle.note.until,
      updatedAt: deps.clock.now(),
    });
    return null;
  }
  if (!bundle.collect) return null;
  return collectForTicket(run, t);
}

/** A bundle job into the thread whose delivery goes to the ticket (bundles/bundle.ts delivers it). */
async function collectForTicket(run: TicketRun, t: IncidentTicket): Promise<BundleNote> {
  const { deps, story } = run;
  const channel = story.incident.channel ?? run.req.channel;
  const job = await createJob(deps, "bundle", {
    host: run.host,
    channel,
    user: run.req.user,
    requestKey: `${t.id}:bundle:${story.incident.id}`,
  });
  if (!job) return { kind: "none", why: "a bundle for this ticket was already asked for" };
  const ref: TicketRef =
    t.system === "jira"
      ? { system: "jira", key: t.key, record: t.id }
      : {
          system: "github",
          repo: t.key.split("#")[0] ?? null,
          number: Number(t.key.split("#")[1]),
          label: t.key,
          record: t.id,
        };
  await deps.jobs.start(deps, {
    kind: "bundle",
    job,
    tickets: [ref],
    ...(run.req.workspace ? { workspace: run.req.workspace } : {}),
  });
  return { kind: "collecting", jobId: job.id };
}
