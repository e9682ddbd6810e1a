import { escapeMrkdwn } from "../mrkdwn.ts";

/**
 * Times, ages and people as every message writes them, so a freeze notice, a watch message and
 * a host list say "12 s ago" or "2026-11-24 14:00 UTC" the same way.
 */

/** A Slack user id as a mention (it pings); anyone else (`console`, a bot name) in bold. */
export function mention(user: string): string {
  return /^[UW][A-Z0-9]+$/.test(user) ? `<@${user}>` : `*${escapeMrkdwn(user)}*`;
}

/** "2026-11-24 14:00 UTC": to the minute, as freezes are set. */
export function iso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** "2026-11-24 14:00:07 UTC": to the second, for when something happened. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** "14:00:07 UTC": the time of day alone, for moments inside one window. */
export function clockTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

/** "45 s", "6 min", "2 h 5 min". */
export function duration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "12 s ago", "4 min ago", "3 h ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

/** "45 s", "6 min", "3 h", "2 d": how old a reading is. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  const h = Math.round(min / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} d`;
}

/** Fallback text is mrkdwn too (notifications): no markup, and user text cannot ping anyone. */
export function plain(s: string): string {
  return escapeMrkdwn(s.replace(/[*`]/g, ""));
}
