import { context, escapeMrkdwn, header, section, wholeLineSections } from "../messages/build.ts";
import { iso } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import { type ExpiryCalendar, type ExpiryEntry, SOON_DAYS } from "./calendar.ts";

/**
 * The calendar as one message: soonest first, entries within SOON_DAYS marked, then what could
 * not be read, then the agents' enrollment ages. Slack: 3,000 characters a section, 50 blocks a
 * message; past MAX_LINES entries the rest are counted, not listed (`--json` has them all).
 */
const SECTION_CHARS = 2900;
const MAX_LINES = 120;
const MAX_AGES = 10;

export function renderExpiries(c: ExpiryCalendar): Message {
  const soon = c.entries.filter((e) => e.soon);
  const expired = soon.filter((e) => e.expired).length;
  const hosts = c.enrollments.length;
  const summary = `${c.entries.length} dated item${c.entries.length === 1 ? "" : "s"} on ${hosts} host${hosts === 1 ? "" : "s"}: ${soon.length} within ${SOON_DAYS} days${expired ? ` (${expired} expired)` : ""}${c.unanswered.length ? ` · ${c.unanswered.length} host${c.unanswered.length === 1 ? "" : "s"} did not answer` : ""}`;
  const text = `Expiry calendar: ${summary}`;
  const parts: Part[] = [header("Expiry calendar"), section(`*${escapeMrkdwn(summary)}*`)];
  if (c.entries.length === 0) {
    parts.push(section("Nothing dated: no gateway serves TLS and no model credential carries an expiry."));
  } else {
    const lines = c.entries.slice(0, MAX_LINES).map((e) => line(e));
    for (const chunk of wholeLineSections(lines, SECTION_CHARS)) parts.push(section(chunk));
    if (c.entries.length > MAX_LINES)
      parts.push(
        context(`${c.entries.length - MAX_LINES} later items not listed: \`clawops expiries --json\` lists all.`),
      );
  }
  const notes: string[] = [];
  // A refused grant has lapsed already: a problem line, so the CLI exits 1 on it as on a failed reading.
  for (const g of c.failingGrants.slice(0, 10))
    notes.push(
      `⚠️ *${escapeMrkdwn(g.host)}* ${escapeMrkdwn(g.what)}: refused ${g.count} time${g.count === 1 ? "" : "s"} in the log read${g.lastAt ? `, last ${escapeMrkdwn(g.lastAt)}` : ""}; sign the account in again`,
    );
  for (const t of c.sharedTokens.slice(0, 10))
    notes.push(
      `🔁 the same ${escapeMrkdwn(t.channels.join("/"))} ${escapeMrkdwn(t.settings.join("/"))} \`${escapeMrkdwn(t.fingerprint)}\` on ${andList(t.hosts.map(escapeMrkdwn))}`,
    );
  if (c.sharedTokens.length > 10) notes.push(`… ${c.sharedTokens.length - 10} more shared credentials`);
  for (const p of c.problems.slice(0, 10))
    notes.push(`⚠️ *${escapeMrkdwn(p.host)}* ${escapeMrkdwn(p.what)}: ${escapeMrkdwn(p.error)}`);
  if (c.problems.length > 10) notes.push(`… ${c.problems.length - 10} more readings failed`);
  if (c.unanswered.length > 0)
    notes.push(
      `Not read: ${c.unanswered
        .slice(0, 10)
        .map((u) => `*${escapeMrkdwn(u.host)}* (${escapeMrkdwn(u.reason)})`)
        .join(", ")}${c.unanswered.length > 10 ? ` +${c.unanswered.length - 10} more` : ""}`,
    );
  for (const chunk of wholeLineSections(notes, SECTION_CHARS)) parts.push(section(chunk));
  if (c.enrollments.length > 0) {
    const oldest = c.enrollments
      .slice(0, MAX_AGES)
      .map((e) => `${escapeMrkdwn(e.host)} ${e.ageDays} d (since ${iso(e.enrolledAt).slice(0, 10)})`);
    parts.push(
      context(
        `Agent enrollments, oldest first: ${oldest.join(", ")}${c.enrollments.length > MAX_AGES ? ` +${c.enrollments.length - MAX_AGES} more` : ""}`,
      ),
    );
  }
  parts.push(
    context(
      `🔴 expired · ⏰ within ${SOON_DAYS} days · 🔁 one credential configured on several hosts · dates and SHA-256 fingerprints only, never a credential · read ${iso(c.generatedAt)} · \`clawops expiries --json\` for scripts`,
    ),
  );
  return { text, parts };
}

function line(e: ExpiryEntry): string {
  const mark = e.expired ? "🔴" : e.soon ? "⏰" : "▫️";
  const when = e.expired
    ? `expired ${iso(e.expiresAt)} (${-e.daysLeft} d ago)`
    : `${iso(e.expiresAt)} (${e.daysLeft} d)`;
  const fp = e.fingerprint ? ` · sha256 \`${shortFingerprint(e.fingerprint)}\`` : "";
  const note = e.note ? `\n      ↳ ${escapeMrkdwn(e.note)}` : "";
  return `${mark} ${when} · *${escapeMrkdwn(e.host)}* ${escapeMrkdwn(e.what)}${fp}${note}`;
}

function andList(xs: readonly string[]): string {
  const shown = xs.slice(0, 6).map((x) => `*${x}*`);
  const more = xs.length > 6 ? ` and ${xs.length - 6} more` : "";
  return shown.length > 1 && !more
    ? `${shown.slice(0, -1).join(", ")} and ${shown.at(-1)}`
    : `${shown.join(", ")}${more}`;
}

/** `AB:CD:…:EF` → `ABCD…EF12`: enough to tell two certificates apart in a line; `--json` has it whole. */
function shortFingerprint(fp: string): string {
  const hex = fp.replace(/:/g, "");
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}
