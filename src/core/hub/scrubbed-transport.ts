import type { StepResult } from "../../contract/catalog.ts";
import type { HostTransport } from "../ports/transport.ts";
import { scrubDeep } from "../secret-scrub.ts";

/**
 * A transport whose every step result has passed the second scan (the SSM transport, and
 * anything else that does not come through the hub, which scrubs its frames itself).
 */
export function scrubbedTransport(inner: HostTransport): HostTransport {
  return {
    isOnline: (host) => inner.isOnline(host),
    ...(inner.disconnect
      ? { disconnect: (host: string, reason: string) => inner.disconnect?.(host, reason) ?? Promise.resolve(false) }
      : {}),
    async dispatch(host, job, onProgress) {
      let chain = Promise.resolve();
      const outcome = await inner.dispatch(host, job, (r: StepResult) => {
        chain = chain.then(async () => onProgress(await scrubDeep(r)));
      });
      await chain;
      return "results" in outcome ? { ...outcome, results: await scrubDeep(outcome.results) } : outcome;
    },
  };
}
