import type { Evidence } from "./evidence.ts";

/** The probe's own WebSocket attempt, quoted as evidence lines (never a token: the agent redacted them). */
export function quoteWs(e: Evidence): string[] {
  const ws = e["gateway.ws"];
  if (!ws) return [];
  const lines = [`gateway.ws ${ws.url}: ${ws.outcome}`];
  if (ws.error) {
    lines.push(
      `connect → ${ws.error.code ?? "error"} "${ws.error.message}"${ws.error.detailCode ? ` (details.code ${ws.error.detailCode})` : ""}`,
    );
  }
  if (ws.close)
    lines.push(`closed ${ws.close.code}${ws.close.reason ? ` "${ws.close.reason}"` : " with an empty reason"}`);
  return lines;
}
