/** Model refs as OpenClaw names them (`provider/model`), shared by the agent's probes and the classifier. */

/** `claude-cli/opus` → provider `claude-cli`: CLI-only backends end in `-cli` (seeds 000/001). */
export function isCliOnlyRef(ref: string): boolean {
  return /-cli$/i.test(providerOf(ref));
}

/** `openai/gpt-6-astra` → `openai`; a bare provider name is its own provider. */
export function providerOf(ref: string): string {
  return (ref.split("/")[0] ?? "").trim();
}
