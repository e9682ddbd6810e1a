import type { TeamMessage } from "../ports/team-messages.ts";
import { utc } from "./content.ts";
import { type Block, fromMrkdwn, list, mrkdwnInlines, para } from "./doc.ts";
import type { IncidentStory } from "./story.ts";

/**
 * What the team said, in the postmortem (issue 41, item 3): the messages marked 📌 in the
 * incident's thread (its key moments) and those that read as decisions, each with who and when,
 * from the record (core/incidents/team-messages.ts). Deleted messages are not quoted.
 */

/**
 * Words a decision is written in: "we decided", "agreed", "let's", "we'll", "going to", "rolling
 * back", "the plan is", "decision:" (straight or typographic apostrophes, as Slack's clients send
 * either). A reading aid for whoever edits the draft, not a verdict:
 * the section says so.
 */
const DECISION =
  /\b(?:decided|decision|agreed|let['’]?s|we(?:['’]ll| will| are going to|['’]re going to)|going to|plan is|roll(?:ing)? ?back|revert(?:ing)?|we should)\b/i;

export const readsAsDecision = (text: string) => DECISION.test(text);

function quoted(m: TeamMessage): ReturnType<typeof mrkdwnInlines> {
  return [`${utc(m.at)} UTC ${fromMrkdwn(`<@${m.user}>`)}: `, ...mrkdwnInlines(m.text)];
}

export function teamBlocks(story: IncidentStory): Block[] {
  const said = story.messages.filter((m) => m.deletedAt === null);
  const pinned = said.filter((m) => m.pins > 0);
  const decisions = said.filter((m) => readsAsDecision(m.text));
  const blocks: Block[] = [];
  blocks.push(
    pinned.length
      ? list(pinned.map((m) => [...quoted(m), ` (marked by ${fromMrkdwn(`<@${m.pinnedBy ?? "?"}>`)})`]))
      : para(
          said.length
            ? "Nobody marked a message in the thread as a key moment (a 📌 reaction marks one)."
            : "Nobody wrote in the incident's thread, or clawops does not receive its messages (the Slack Events API subscription, docs/slack.md).",
        ),
  );
  if (said.length) {
    blocks.push(para({ strong: "Decisions" }, " (messages that read as one; check them):"));
    blocks.push(decisions.length ? list(decisions.map(quoted)) : para("No message in the thread reads as a decision."));
  }
  return blocks;
}
