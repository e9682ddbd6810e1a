import type { StepResult } from "../../contract/catalog.ts";
import { cohort } from "../fleet/versions.ts";
import type { HostAnswer } from "../jobs/ask-hosts.ts";
import { type HostFacts, matchingFindings } from "../known-issues/fleet.ts";
import type { KnownIssueCatalog } from "../known-issues/schema.ts";
import { compareCalVer, parseCalVer } from "../known-issues/versions.ts";
import type { FreezeRecord } from "../ports/recovery.ts";
import type { HostRecord } from "../ports/store.ts";
import { nodeSatisfies } from "./node-range.ts";
import type { Release } from "./releases.ts";

/**
 * The plan `upgrade <hosts> to <version> --dry-run` posts (issue 42, item 1, its first part):
 * per host a pre-flight from one read-only job (`versions`, `state.files`) and what the control
 * plane keeps (freezes, the last triage for known issues), then the waves. Nothing is changed.
 */

/** Free space wanted where the state lives: openclaw@2026.9.6 installed with its dependencies is ~840 MB, beside the current one, plus the state's backup. */
export const MIN_FREE_BYTES = 2 * 1024 ** 3;
/** The second wave's share of the hosts left after the canary, unless `--wave N%` says another. */
export const SHARE_PERCENT = 25;

export type CheckState = "ok" | "blocked" | "unknown";
export interface PreflightCheck {
  check: "answer" | "version" | "disk" | "node" | "plugins" | "freeze";
  state: CheckState;
  text: string;
}

export interface HostPreflight {
  host: string;
  from: string | null;
  checks: PreflightCheck[];
  /** Known issues (catalog entries the target fixes) this host's findings match. */
  fixes: { ref: string; fixedIn: string; findings: string[] }[];
  /** `ready`: goes into a wave; `current`: already on the target; `blocked`: a check stops it. */
  verdict: "ready" | "current" | "blocked";
}

export interface UpgradePlan {
  target: Release;
  generatedAt: number;
  hosts: HostPreflight[];
  /** Host names per wave: the canary, a share, the rest (an empty wave left out). */
  waves: string[][];
  /** What each wave is, beside `waves`: "canary", "25% of the rest", "the rest". */
  waveNames: string[];
  /** The second wave's share after the canary. */
  wavePercent: number;
  /** "upgrading to X fixes N findings on M hosts". */
  gains: { findings: number; hosts: string[] };
}

/** What one host answered to the pre-flight (jobs/ask-hosts.ts). */
export type PreflightAnswer = HostAnswer;

export function buildUpgradePlan(o: {
  target: Release;
  hosts: readonly HostRecord[];
  answers: readonly PreflightAnswer[];
  facts: readonly HostFacts[];
  freezes: ReadonlyMap<string, readonly FreezeRecord[]>;
  actor: string;
  catalog: KnownIssueCatalog;
  now: number;
  /** `--wave N%` (1–100): the second wave's share of the hosts after the canary. */
  wavePercent?: number;
}): UpgradePlan {
  const target = parseCalVer(o.target.version);
  const rows: HostPreflight[] = [];
  for (const h of [...o.hosts].sort((a, b) => cmp(a.name, b.name))) {
    const answer = o.answers.find((a) => a.host === h.name);
    const results = answer && "results" in answer ? answer.results : [];
    const versions = pick(results, "versions");
    const files = pick(results, "state.files");
    const from = versions?.openclaw ?? h.gatewayVersion ?? null;
    const checks: PreflightCheck[] = [];
    if (!answer || "unanswered" in answer)
      checks.push({ check: "answer", state: "blocked", text: `no pre-flight: ${answer?.unanswered ?? "not asked"}` });
    const fromV = from ? parseCalVer(from) : null;
    const current = from !== null && from === o.target.version;
    if (from === null) checks.push({ check: "version", state: "unknown", text: "current OpenClaw version not read" });
    else if (fromV && target && compareCalVer(target, fromV) < 0)
      checks.push({ check: "version", state: "ok", text: `a downgrade from ${from}` });
    checks.push(diskCheck(files));
    checks.push(nodeCheck(versions?.node ?? null, o.target));
    checks.push(pluginCheck(files, o.target.version));
    const freeze = freezeCheck(o.freezes.get(h.name) ?? [], o.actor);
    if (freeze) checks.push(freeze);
    const facts = o.facts.find((f) => f.name === h.name);
    const fixes: HostPreflight["fixes"] = [];
    for (const entry of o.catalog.entries) {
      const fixedIn = entry.fixedIn ? parseCalVer(entry.fixedIn) : null;
      if (!fixedIn || !target || compareCalVer(fixedIn, target) > 0 || !facts) continue;
      if (fromV && compareCalVer(fixedIn, fromV) <= 0) continue;
      const findings = matchingFindings(entry, facts);
      if (findings.length > 0) fixes.push({ ref: entry.issue.ref, fixedIn: entry.fixedIn as string, findings });
    }
    const verdict = checks.some((c) => c.state === "blocked") ? "blocked" : current ? "current" : "ready";
    rows.push({ host: h.name, from, checks, fixes, verdict });
  }
  const ready = rows.filter((r) => r.verdict === "ready").map((r) => r.host);
  const tagged = o.hosts.find((h) => ready.includes(h.name) && h.tags?.includes("canary"))?.name;
  const canary = tagged ?? ready[0];
  const rest = ready.filter((n) => n !== canary);
  const wavePercent = Math.min(100, Math.max(1, Math.round(o.wavePercent ?? SHARE_PERCENT)));
  const share = Math.ceil((rest.length * wavePercent) / 100);
  const named: [string, string[]][] = [
    ["canary", canary ? [canary] : []],
    [`${wavePercent}% of the rest`, rest.slice(0, share)],
    ["the rest", rest.slice(share)],
  ];
  const kept = named.filter(([, w]) => w.length > 0);
  const waves = kept.map(([, w]) => w);
  const fixing = rows.filter((r) => r.fixes.length > 0 && r.verdict !== "current");
  return {
    target: o.target,
    generatedAt: o.now,
    hosts: rows,
    waves,
    waveNames: kept.map(([n]) => n),
    wavePercent,
    gains: {
      findings: fixing.reduce((n, r) => n + r.fixes.reduce((m, f) => m + f.findings.length, 0), 0),
      hosts: fixing.map((r) => r.host),
    },
  };
}

function pick<N extends StepResult["step"]>(results: readonly StepResult[], step: N) {
  const r = results.find((x) => x.step === step);
  return r && r.status === "ok" && r.data ? (r.data as Extract<StepResult, { step: N }>["data"]) : null;
}

const gib = (n: number) => `${(n / 1024 ** 3).toFixed(1)} GiB`;

function diskCheck(files: ReturnType<typeof pick<"state.files">>): PreflightCheck {
  const volume = files?.volumes.find((v) => v.holds.includes("state"));
  if (!volume) return { check: "disk", state: "unknown", text: "free space where the state lives not read" };
  const enough = volume.freeBytes >= MIN_FREE_BYTES;
  return {
    check: "disk",
    state: enough ? "ok" : "blocked",
    text: `${gib(volume.freeBytes)} free at ${volume.path}${enough ? "" : ` (needs ${gib(MIN_FREE_BYTES)}: the target beside the current release, and the state's backup)`}`,
  };
}

function nodeCheck(node: string | null, target: Release): PreflightCheck {
  if (node === null) return { check: "node", state: "unknown", text: "Node version not read" };
  // The agent's own Node: its installer runs it on the Node the gateway runs on when it finds that one.
  if (target.node === null)
    return {
      check: "node",
      state: "unknown",
      text: `Node ${node}; ${target.version}'s Node requirement is not in clawops' release table`,
    };
  const ok = nodeSatisfies(node, target.node);
  if (ok === null)
    return { check: "node", state: "unknown", text: `Node ${node} against \`${target.node}\`: not readable` };
  return {
    check: "node",
    state: ok ? "ok" : "blocked",
    text: ok
      ? `Node ${node} (the agent's) meets ${target.version}'s \`${target.node}\``
      : `Node ${node} (the agent's) does not meet ${target.version}'s \`${target.node}\`: the target would not start`,
  };
}

function pluginCheck(files: ReturnType<typeof pick<"state.files">>, target: string): PreflightCheck {
  const plugins = files?.plugins;
  if (!plugins || plugins.error) return { check: "plugins", state: "unknown", text: "installed plugins not read" };
  const official = plugins.packages.filter((p) => p.name.startsWith("@openclaw/"));
  if (official.length === 0) return { check: "plugins", state: "ok", text: "no official plugins installed" };
  const moving = official.filter((p) => p.version === null || cohort(p.version) !== cohort(target));
  return {
    check: "plugins",
    state: "ok",
    text:
      moving.length === 0
        ? `official plugins already on ${target}`
        : `in lockstep with the core: ${moving.map((p) => `${p.name} ${p.version ?? "?"} → ${target}`).join(", ")}`,
  };
}

function freezeCheck(freezes: readonly FreezeRecord[], actor: string): PreflightCheck | null {
  const other = freezes.find((f) => f.owner !== actor);
  const own = freezes.find((f) => f.owner === actor);
  const until = (f: FreezeRecord) => new Date(f.expiresAt).toISOString().slice(0, 16).replace("T", " ");
  if (other)
    return {
      check: "freeze",
      state: "blocked",
      text: `${other.target === "all" ? "the whole fleet is" : "this host is"} frozen by ${other.owner} until ${until(other)} UTC (${other.reason.slice(0, 120)})`,
    };
  return own ? { check: "freeze", state: "ok", text: `frozen by you until ${until(own)} UTC` } : null;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
