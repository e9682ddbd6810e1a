/**
 * The message of a thrown value: an Error's `message`, anything else as `String(value)`.
 * Shared by the agent and the control plane. Where the error's name should stay in the text,
 * callers use `String(err)` instead.
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
