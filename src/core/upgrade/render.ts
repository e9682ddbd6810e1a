import { context, escapeMrkdwn, header, section, wholeLineSections } from "../messages/build.ts";
import { iso } from "../messages/format.ts";
import type { Message, Part } from "../messages/model.ts";
import type { HostPreflight, UpgradePlan } from "./plan.ts";

/** The plan as one message: the summary, one line per host (blocked first), the waves. */
const SECTION_CHARS = 2900;
const MAX_HOSTS = 60;

export function renderUpgradePlan(p: UpgradePlan): Message {
  const count = (v: HostPreflight["verdict"]) => p.hosts.filter((h) => h.verdict === v).length;
  const n = p.hosts.length;
  const gains =
    p.gains.findings > 0
      ? ` · upgrading to ${p.target.version} fixes ${p.gains.findings} finding${p.gains.findings === 1 ? "" : "s"} on ${p.gains.hosts.length} host${p.gains.hosts.length === 1 ? "" : "s"}`
      : "";
  const summary = `OpenClaw ${p.target.version} on ${n} host${n === 1 ? "" : "s"} (dry run): ${count("ready")} ready in ${p.waves.length} wave${p.waves.length === 1 ? "" : "s"}, ${count("blocked")} blocked, ${count("current")} already on it${gains}`;
  const parts: Part[] = [header("Upgrade plan"), section(`*${escapeMrkdwn(summary)}*`)];
  const order = { blocked: 0, ready: 1, current: 2 } as const;
  const rows = [...p.hosts].sort((a, b) => order[a.verdict] - order[b.verdict]);
  const lines = rows.slice(0, MAX_HOSTS).map(line);
  if (rows.length > MAX_HOSTS) lines.push(`… ${rows.length - MAX_HOSTS} more hosts (\`--json\` lists all)`);
  for (const chunk of wholeLineSections(lines, SECTION_CHARS)) parts.push(section(chunk));
  const waves = p.waves.map(
    (w, i) =>
      `*Wave ${i + 1}* (${p.waveNames[i] ?? "the rest"}): ${w.slice(0, 20).map(escapeMrkdwn).join(", ")}${w.length > 20 ? ` +${w.length - 20} more` : ""}`,
  );
  parts.push(section(waves.join("\n") || "No wave: no host is ready."));
  parts.push(
    context(
      `Dry run: nothing was changed. Each wave would wait for the one before it, and a host that fails stops the rest · read ${iso(p.generatedAt)}`,
    ),
  );
  return { text: `Upgrade plan: ${summary}`, parts };
}

function line(h: HostPreflight): string {
  const mark = h.verdict === "blocked" ? "⛔" : h.verdict === "current" ? "▫️" : "✅";
  const move = h.verdict === "current" ? `already on ${h.from}` : `${h.from ?? "?"} → target`;
  const checks = h.checks.map((c) => `${c.state === "blocked" ? "⛔ " : c.state === "unknown" ? "⚪ " : ""}${c.text}`);
  const fixes = h.fixes.length
    ? `\n      ↳ fixes ${h.fixes.map((f) => `${f.ref} (${f.findings.join(", ")})`).join(", ")}`
    : "";
  return `${mark} *${escapeMrkdwn(h.host)}* ${escapeMrkdwn(move)} · ${escapeMrkdwn(checks.join(" · "))}${escapeMrkdwn(fixes)}`;
}
