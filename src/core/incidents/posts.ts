import { errorMessage } from "../../contract/errors.ts";
import { type Message, MessageSchema } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentBook, OutboxItem } from "../ports/incident-book.ts";
import type { IncidentThread } from "../ports/store.ts";
import { incidentThread } from "./host-thread.ts";
import { queueMirrors } from "./mirrors.ts";
import { LEASE_MS, MAX_ATTEMPTS, settleFailedTry } from "./outbox-timing.ts";
import { appendTimeline } from "./record.ts";

/**
 * What the pipeline says in an incident's thread (an alert fired, the watch's failure, an agent
 * lost, a recovery) goes through the outbox like a page (issue 40, item 8: record first, deliver
 * after). The record already holds the signal when the post is queued; the post is tried at once,
 * in the request, so a healthy chat sees no difference; a chat that fails (the client has retried
 * what it could) leaves the post queued, tried again with backoff by the outbox's drain (Node's
 * sweep, the Workers directory object's alarm), said once on the timeline. Nothing is undone: the
 * signal stays counted, and a triage the post announces waits for it and starts once it is posted
 * (it would have nowhere to write otherwise); a post given up after MAX_ATTEMPTS ends that triage
 * `rejected`, saying why.
 */

/** The outbox kind of a thread post. */
export const POST_KIND = "post";

/** What a thread post carries in the outbox. */
interface ThreadPost {
  channel: string;
  host: string;
  /** Who the thread is opened for, when it has to be (its plain header names them). */
  actor: string;
  message: Message;
  /** The triage this post announces: it waits for the post, and starts once it is posted. */
  jobId: string | null;
  /** What it is, for the words of its failure: "the alert's message". */
  what: string;
}

/** A post tried at once: the thread it went to, or null when it is queued for a retry. */
export interface PostAttempt {
  thread: IncidentThread | null;
  delivered: boolean;
}

/**
 * Queues `post` in `incident`'s thread and tries it at once. Never throws for the chat: a
 * failure leaves it queued (and said on the timeline). Throws only when the outbox itself
 * cannot be written, so the caller can fall back to posting directly.
 */
export async function postInThread(
  deps: CoreDeps,
  book: IncidentBook,
  incident: Incident,
  post: ThreadPost,
): Promise<PostAttempt> {
  const now = deps.clock.now();
  const id = deps.ids.id("out");
  const queued = {
    id,
    key: `${POST_KIND}:${incident.id}:${id}`,
    kind: POST_KIND,
    incidentId: incident.id,
    body: JSON.stringify(post),
    // Held for the try below: a drain running meanwhile leaves it alone until the lease ends.
    nextAt: now + LEASE_MS,
    createdAt: now,
  };
  await book.enqueueOutbox(queued);
  const item: OutboxItem = { ...queued, state: "pending", attempts: 0, lastError: null, told: false, doneAt: null };
  // Its mirrors on other chats (mirrors.ts): queued beside it, delivered by the drain, never waited on.
  await queueMirrors(deps, incident, { op: "post", message: post.message, what: post.what });
  try {
    const thread = await send(deps, book, incident.id, post);
    await book.settleOutbox(id, { state: "sent", attempts: 1, doneAt: deps.clock.now() });
    return { thread, delivered: true };
  } catch (err) {
    await failed(deps, book, item, post, err);
    return { thread: null, delivered: false };
  }
}

/** A queued post due again (the outbox's drain): posted, or tried later, or given up. */
export async function deliverQueuedPost(
  deps: CoreDeps,
  book: IncidentBook,
  item: OutboxItem,
): Promise<"sent" | "retrying" | "failed"> {
  const parsed = parsePost(item.body);
  if (!parsed) {
    await book.settleOutbox(item.id, {
      state: "failed",
      doneAt: deps.clock.now(),
      lastError: "not a thread post this clawops can read",
    });
    return "failed";
  }
  try {
    await send(deps, book, item.incidentId, parsed);
  } catch (err) {
    return failed(deps, book, item, parsed, err);
  }
  const attempts = item.attempts + 1;
  await book.settleOutbox(item.id, { state: "sent", attempts, doneAt: deps.clock.now(), lastError: null });
  const incident = item.incidentId ? await book.getIncident(item.incidentId) : null;
  if (incident) {
    await appendTimeline(deps, book, incident, {
      actor: "clawops",
      kind: "note",
      text: `${capitalized(parsed.what)} was posted after ${attempts} tries.`,
    });
  }
  await startWaitingTriage(deps, parsed.jobId);
  return "sent";
}

/**
 * Posts in the incident's own thread when it has one in that channel (a retry after the incident
 * was resolved still lands there), else in the host's thread, opened when there is none.
 */
async function send(
  deps: CoreDeps,
  book: IncidentBook,
  incidentId: string | null,
  post: ThreadPost,
): Promise<IncidentThread> {
  const own = incidentId ? await book.getIncident(incidentId) : null;
  const thread =
    own?.channel === post.channel && own.threadTs
      ? { id: own.id, channel: post.channel, host: post.host, threadTs: own.threadTs, openedAt: own.openedAt }
      : await incidentThread(deps, { channel: post.channel, host: post.host, actor: post.actor });
  await deps.chat.postMessage({ channel: post.channel, threadTs: thread.threadTs, ...post.message });
  return thread;
}

/**
 * A try that failed: due again after the backoff, or given up after MAX_ATTEMPTS (its waiting
 * triage then ends `rejected`). The first failure is said once on the timeline.
 */
async function failed(
  deps: CoreDeps,
  book: IncidentBook,
  item: OutboxItem,
  post: ThreadPost,
  err: unknown,
): Promise<"retrying" | "failed"> {
  const now = deps.clock.now();
  const reason = errorMessage(err);
  const { attempts, retry } = await settleFailedTry(book, item, now, { error: reason, told: true });
  deps.logger.warn("incident post not delivered", {
    incident: item.incidentId,
    channel: post.channel,
    attempts,
    retry,
    err: reason,
  });
  const incident = item.incidentId ? await book.getIncident(item.incidentId) : null;
  if (incident && (!item.told || !retry)) {
    const next = retry
      ? `clawops tries again with backoff (try ${attempts} of ${MAX_ATTEMPTS})${post.jobId ? `; its triage (job ${post.jobId}) starts once it is posted` : ""}.`
      : `clawops gave up after ${attempts} tries${post.jobId ? `; its triage (job ${post.jobId}) did not run` : ""}.`;
    await appendTimeline(deps, book, incident, {
      actor: "clawops",
      kind: "note",
      text: `⚠️ ${capitalized(post.what)} could not be posted in <#${post.channel}>: ${reason}. ${next}`.slice(0, 500),
    });
  }
  if (post.jobId) {
    await deps.store
      .updateJob(
        post.jobId,
        retry
          ? {
              detail: `Waiting: ${post.what} could not be posted in <#${post.channel}> yet; the triage starts once it is.`,
            }
          : {
              status: "rejected",
              finishedAt: now,
              detail:
                `Not run: ${post.what} could not be posted in <#${post.channel}> after ${attempts} tries. ${reason}`.slice(
                  0,
                  2_000,
                ),
            },
      )
      .catch((e: unknown) => deps.logger.error("job not updated", { job: post.jobId, err: errorMessage(e) }));
  }
  return retry ? "retrying" : "failed";
}

/** The triage an announcement held back, started now that it is posted: unless it ended meanwhile (a restart marks it lost). */
async function startWaitingTriage(deps: CoreDeps, jobId: string | null): Promise<void> {
  if (!jobId) return;
  const job = await deps.store.getJob(jobId);
  if (job?.status !== "running" || job.progressTs !== null) return;
  await deps.store.updateJob(job.id, { detail: null });
  await deps.jobs.start(deps, { kind: "triage", job: { ...job, detail: null } });
}

function parsePost(body: string): ThreadPost | null {
  try {
    const raw = JSON.parse(body) as Partial<ThreadPost>;
    const message = MessageSchema.safeParse(raw.message);
    if (!message.success || typeof raw.channel !== "string" || typeof raw.host !== "string") return null;
    return {
      channel: raw.channel,
      host: raw.host,
      actor: typeof raw.actor === "string" ? raw.actor : "clawops",
      message: message.data,
      jobId: typeof raw.jobId === "string" ? raw.jobId : null,
      what: typeof raw.what === "string" ? raw.what : "a message",
    };
  } catch {
    return null;
  }
}

const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
