import type { ExpiriesRadar } from "../../core/expiries/radar.ts";

/**
 * The expiry radar's settings from the runtime's variables (issue 42, item 3): both runtimes read
 * them here and core takes the result (core/expiries/radar.ts). CLAWOPS_EXPIRIES_CHANNEL, CLAWOPS_EXPIRIES_DAY (`mon` … `sun`, default mon),
 * CLAWOPS_EXPIRIES_HOUR_UTC (default 9), CLAWOPS_EXPIRIES_PAGE_DAYS (1-90). Neither the channel
 * nor the days: off. Throws with the setting named.
 */
export function expiriesFromEnv(env: Readonly<Record<string, string | undefined>>): ExpiriesRadar | undefined {
  const channel = env.CLAWOPS_EXPIRIES_CHANNEL?.trim() || undefined;
  const daysRaw = env.CLAWOPS_EXPIRIES_PAGE_DAYS?.trim() || undefined;
  if (!channel && !daysRaw) return undefined;
  const days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
  const day = (env.CLAWOPS_EXPIRIES_DAY?.trim().toLowerCase() || "mon").slice(0, 3);
  const weekday = days.indexOf(day);
  if (weekday < 0) throw new Error(`CLAWOPS_EXPIRIES_DAY: "${day}" is not a weekday (mon … sun).`);
  const hour = Number(env.CLAWOPS_EXPIRIES_HOUR_UTC?.trim() || "9");
  if (!Number.isInteger(hour) || hour < 0 || hour > 23)
    throw new Error("CLAWOPS_EXPIRIES_HOUR_UTC: an hour from 0 to 23.");
  let pageDays: number | undefined;
  if (daysRaw !== undefined) {
    pageDays = Number(daysRaw);
    if (!/^\d+$/.test(daysRaw) || pageDays < 1 || pageDays > 90)
      throw new Error(
        `CLAWOPS_EXPIRIES_PAGE_DAYS: "${daysRaw.slice(0, 20)}" is not a whole number of days from 1 to 90.`,
      );
    if (!channel && !env.CLAWOPS_INCIDENT_CHANNEL?.trim() && !env.CLAWOPS_HOST_CHANNELS?.trim())
      throw new Error(
        "CLAWOPS_EXPIRIES_PAGE_DAYS needs a channel for its incidents: CLAWOPS_EXPIRIES_CHANNEL, CLAWOPS_INCIDENT_CHANNEL or CLAWOPS_HOST_CHANNELS.",
      );
  }
  return { ...(channel ? { channel } : {}), weekday, hourUtc: hour, ...(pageDays !== undefined ? { pageDays } : {}) };
}
