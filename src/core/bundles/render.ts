import { escapeMrkdwn } from "../messages/build.ts";
import type { Message } from "../messages/model.ts";
import { renderNotice } from "../messages/notices.ts";
import type { Manifest } from "./archive.ts";
import type { SecondScan } from "./second-scan.ts";

/** The bundle's posts in the incident thread: a progress line edited in place, then the summary. */

export function renderBundleStart(host: string, jobId: string, trigger?: string): Message {
  return renderNotice(
    `📦 Collecting a repro bundle from *${escapeMrkdwn(host)}* (job \`${jobId}\`)${trigger ? ` because ${escapeMrkdwn(trigger)}` : ""}…`,
  );
}

export function renderBundleProgress(
  host: string,
  results: readonly { step: string; status: string }[],
  total: number,
): Message {
  return renderNotice(
    `📦 Collecting from *${escapeMrkdwn(host)}*: ${results.length}/${total} parts in (${results.map((r) => `\`${r.step}\` ${r.status}`).join(", ")})`,
  );
}

export function renderBundleScan(files: number): Message {
  return renderNotice(`🔒 Second redaction scan of ${files} files…`);
}

export function renderBundleEnd(
  host: string,
  end:
    | { kind: "failed" | "refused"; reason: string }
    | { kind: "stored"; bundleId: string; complete: boolean; ms: number },
): Message {
  if (end.kind === "stored")
    return renderNotice(
      `${end.complete ? "✅" : "⚠️"} Bundle \`${end.bundleId}\` of *${escapeMrkdwn(host)}* stored (${end.ms} ms).`,
    );
  return renderNotice(
    `${end.kind === "failed" ? "❌" : "🛑"} Bundle of *${escapeMrkdwn(host)}* ${end.kind}: ${escapeMrkdwn(end.reason)}`,
  );
}

export function renderUploadFailed(err: string): Message {
  return renderNotice(
    `⚠️ Uploading the bundle file into this thread failed (${escapeMrkdwn(err)}); the signed link above still works.`,
  );
}

export function renderTicketNotes(notes: readonly string[]): Message {
  return renderNotice(`🎫 Tickets:\n${notes.map((n) => `• ${escapeMrkdwn(n)}`).join("\n")}`);
}

export interface BundleFile {
  name: string;
  content: string;
  complete: boolean;
  reason?: string;
}

/** The summary message (also the ticket's text, so it passes the second scan first). */
export function summarize(
  host: string,
  bundleId: string,
  manifest: Manifest,
  files: readonly BundleFile[],
  report: { total: number; byKind: Record<string, number> },
  scan: SecondScan,
  link: string,
  linkExpiresAt: number,
): string {
  const versions = parseJson(files.find((f) => f.name === "versions.json")?.content) as {
    cli?: { version?: string | null };
    gatewayPackage?: { version?: string | null };
    os?: { pretty?: string | null };
    node?: string;
    agent?: string;
  } | null;
  const timeline = parseJson(files.find((f) => f.name === "timeline.json")?.content) as {
    firstClose1000?: { at?: string } | null;
    closeCodes?: { code: number; count: number }[];
    runningConfigHash?: string | null;
  } | null;
  const size = manifest.files.reduce((n, f) => n + f.size, 0);
  const lines = [
    `*Repro bundle* \`${bundleId}\` for *${escapeMrkdwn(host)}* — ${manifest.complete ? "complete" : "*INCOMPLETE*"}`,
    versions
      ? `Versions: CLI ${versions.cli?.version ?? "?"} · gateway package ${versions.gatewayPackage?.version ?? "?"} · ${escapeMrkdwn(versions.os?.pretty ?? "?")} · Node ${versions.node ?? "?"} · agent ${versions.agent ?? "?"}`
      : "Versions: not collected",
    timeline
      ? `Timeline: first close(1000) ${timeline.firstClose1000?.at ?? "none in the logs read"}; close codes ${(timeline.closeCodes ?? []).map((c) => `${c.code}×${c.count}`).join(", ") || "none"}; running config hash ${timeline.runningConfigHash ? `\`${timeline.runningConfigHash.slice(0, 24)}…\`` : "unknown"}`
      : null,
    `Files: ${manifest.files.length} (${Math.round(size / 1024)} KiB before compression); manifest.json lists each SHA-256.`,
    `Redacted on the host: ${report.total} secret(s)${
      Object.keys(report.byKind).length
        ? ` (${Object.entries(report.byKind)
            .map(([k, n]) => `${k} ${n}`)
            .join(", ")})`
        : ""
    }; ${
      scan.hits.length === 0
        ? `second scan (${scan.rules}) found no secret in ${scan.scanned} files.`
        : `second scan found ${scan.hits.length} possible secret(s).`
    }`,
    manifest.complete
      ? null
      : `Incomplete: ${manifest.incomplete.slice(0, 6).map(escapeMrkdwn).join("; ").slice(0, 1_200)}`,
    `Download (expires ${new Date(linkExpiresAt).toISOString()}): ${link}`,
  ];
  return lines.filter((l): l is string => l !== null).join("\n");
}

function parseJson(text: string | undefined): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
