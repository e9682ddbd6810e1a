import { ClawopsError } from "../errors.ts";
import { clip, context, escapeMrkdwn, section } from "../messages/build.ts";
import { isoSeconds, mention } from "../messages/format.ts";
import type { Message } from "../messages/model.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { Incident, IncidentAction } from "../ports/incident-book.ts";
import { scrubText } from "../secret-scrub.ts";
import { refreshIncidentHeader } from "./header.ts";
import { noteIncidentEvent, requireIncident } from "./record.ts";
import { who } from "./roles.ts";

/**
 * Follow-up actions (issue 41, item 5): what the team means to do after the incident, each with
 * an owner, recorded while it is open (`incident <id> action <text> [@owner]`), listed
 * (`incident <id> actions`), closed (`incident <id> action <n> done`, also after the resolve).
 * They are in the postmortem draft and the report, and a resolved incident with open actions
 * says so in its resolve answer, its header and its record.
 */

/** The incident's actions, oldest first. */
export async function incidentActions(deps: Pick<CoreDeps, "store">, incidentId: string): Promise<IncidentAction[]> {
  return deps.store.listIncidentActions({ incidentId });
}

/** How many of the incident's actions are still open (0 on a read error). */
export async function openActionCount(deps: Pick<CoreDeps, "store">, incidentId: string): Promise<number> {
  const open = await deps.store.listIncidentActions({ incidentId, open: true }).catch(() => []);
  return open.length;
}

/**
 * Records an action on an open incident. A resolved incident takes none (`incident_resolved`),
 * and nothing is written when a resolve wins the race (the insert checks its state). The text
 * goes through the secret scrub as every other text clawops keeps.
 */
export async function addIncidentAction(
  deps: CoreDeps,
  o: { id: string; text: string; owner: string | null; actor: string },
): Promise<IncidentAction> {
  const incident = await requireIncident(deps, o.id);
  if (incident.state === "resolved") throw resolvedError(incident);
  const text = await scrubText(o.text);
  const added = await deps.store.addIncidentAction({
    incidentId: incident.id,
    text,
    owner: o.owner,
    createdAt: deps.clock.now(),
    createdBy: o.actor,
  });
  if (!added) throw resolvedError((await deps.store.getIncident(o.id)) ?? incident);
  await noteIncidentEvent(deps, incident.id, {
    actor: o.actor,
    kind: "action",
    text: `follow-up #${added.n} added: ${clip(text, 300)}${added.owner ? ` (owner ${who(added.owner)})` : ""}`,
  });
  return added;
}

/**
 * Closes action `n`, whatever the incident's state (a follow-up is done after the resolve).
 * An unknown number or one done already is a clear error, and nothing changes.
 */
export async function closeIncidentAction(
  deps: CoreDeps,
  o: { id: string; n: number; actor: string },
): Promise<{ action: IncidentAction; stillOpen: number }> {
  const incident = await requireIncident(deps, o.id);
  const closed = await deps.store.closeIncidentAction(incident.id, o.n, o.actor, deps.clock.now());
  if (!closed) {
    const known = (await deps.store.listIncidentActions({ incidentId: incident.id })).find((a) => a.n === o.n);
    if (!known) {
      throw new ClawopsError(
        "unknown_action",
        `Incident \`${incident.id}\` has no follow-up #${o.n}. \`/openclaw incident ${incident.id} actions\` lists them.`,
        { status: 404 },
      );
    }
    throw new ClawopsError(
      "action_done",
      `Follow-up #${o.n} of \`${incident.id}\` was done already${known.doneBy ? ` (by ${who(known.doneBy)}${known.doneAt !== null ? ` at ${isoSeconds(known.doneAt)}` : ""})` : ""}; nothing was changed.`,
      { status: 409 },
    );
  }
  await noteIncidentEvent(deps, incident.id, {
    actor: o.actor,
    kind: "action",
    text: `follow-up #${closed.n} done: ${clip(closed.text, 300)}`,
  });
  const stillOpen = await openActionCount(deps, incident.id);
  // A resolved incident's header says how many are open: one fewer now.
  if (incident.state === "resolved") await refreshIncidentHeader(deps, incident, { force: true });
  return { action: closed, stillOpen };
}

/** One action as a chat line: `#2 ⬜ rotate the token · owner @U0BOB`. */
export function actionLine(a: IncidentAction): string {
  const done = a.state === "done";
  return `\`#${a.n}\` ${done ? "✅" : "⬜"} ${escapeMrkdwn(clip(a.text, 300))} · ${a.owner ? `owner ${mention(a.owner)}` : "no owner yet"}${done && a.doneBy ? ` · done by ${mention(a.doneBy)}` : ""}`;
}

/** `incident <id> actions`: every action, open ones first named as such. */
export function renderIncidentActions(incident: Incident, actions: readonly IncidentAction[]): Message {
  const open = actions.filter((a) => a.state === "open").length;
  const head = `Follow-up actions of incident ${incident.id}: ${actions.length} (${open} open)`;
  if (actions.length === 0) {
    return {
      text: head,
      parts: [
        section(
          `*Follow-up actions of \`${incident.id}\`*\nNone yet. \`/openclaw incident ${incident.id} action <text> [@owner]\` records one.`,
        ),
      ],
    };
  }
  return {
    text: head,
    parts: [
      section(
        clip(`*Follow-up actions of \`${incident.id}\`* (${open} open)\n${actions.map(actionLine).join("\n")}`, 2_900),
      ),
      context(`\`/openclaw incident ${incident.id} action <n> done\` closes one.`),
    ],
  };
}

/** "2 follow-up actions still open" (the resolve answer, the header, the record). */
export function openActionsWords(n: number): string {
  return `${n} follow-up action${n === 1 ? "" : "s"} still open`;
}

function resolvedError(incident: Incident): ClawopsError {
  return new ClawopsError(
    "incident_resolved",
    `Incident \`${incident.id}\` was resolved${incident.resolvedBy ? ` by ${who(incident.resolvedBy)}` : ""}, so it takes no new follow-up actions; nothing was recorded. Its open ones can still be closed (\`/openclaw incident ${incident.id} action <n> done\`).`,
    { status: 409 },
  );
}
