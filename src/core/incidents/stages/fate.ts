import { errorMessage } from "../../../contract/errors.ts";
import type { CoreDeps } from "../../ports/deps.ts";
import type { SignalFateKind } from "../../ports/incident-book.ts";
import type { IncidentSignal } from "../signal.ts";

/** The fate stage (issue 40, item 1): what became of every signal is stored beside the record. */

/** One line naming what a signal brought, for its stored fate and its page. */
export function signalSummary(signal: IncidentSignal): string {
  return (signal.summary ?? signal.announce?.("none").text ?? `${signal.source} signal for ${signal.host}`).slice(
    0,
    300,
  );
}

/**
 * Stores what became of a signal (issue 40, item 1): nothing the pipeline does not post is
 * dropped without a trace. Logged, never thrown: the signal matters more than its bookkeeping.
 */
export async function recordFate(
  deps: CoreDeps,
  signal: Pick<IncidentSignal, "source" | "host" | "count" | "summary" | "announce">,
  fate: SignalFateKind,
  incidentId: string | null,
  why: string | null,
): Promise<void> {
  try {
    await deps.store.recordSignal({
      at: deps.clock.now(),
      source: signal.source,
      host: signal.host,
      incidentId,
      fate,
      why,
      summary: signalSummary(signal as IncidentSignal),
      count: signal.count ?? 1,
    });
  } catch (err) {
    deps.logger.warn("signal fate not stored", { host: signal.host, fate, err: errorMessage(err) });
  }
}
