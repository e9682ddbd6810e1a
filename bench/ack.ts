import { signSlack, slashCommandBody } from "../test/support/slack-signing.ts";
import { startScriptedPlane } from "./scripted-plane.ts";
import { percentile } from "./stats.ts";

/**
 * Slash-command ack latency: N really signed `/openclaw triage` requests, C at a time,
 * against the control plane running as `npm start` runs it (its own process), with an
 * online (scripted) agent in this process, so each ack includes signature
 * verification, host lookup, the online check and the job insert into SQLite, while the
 * background triages of earlier requests compete for the same CPU.
 */
export async function benchAck(opts: { requests: number; concurrency: number; text: string }) {
  const { cp, secret, close } = await startScriptedPlane();

  // Sign every request before the clock starts: the load generator's own HMAC work is not
  // the control plane's latency. Signatures stay valid for Slack's five-minute window.
  const requests = Array.from({ length: opts.requests }, (_, i) => {
    const body = slashCommandBody({ text: opts.text, channel_id: `C0BENCH${i % 10}`, trigger_id: `bench.${i}` });
    return { body, headers: signSlack(secret, body) };
  });
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < opts.requests) {
      const { body, headers } = requests[next++] as (typeof requests)[number];
      const t0 = performance.now();
      const res = await fetch(`${cp.url}/slack/commands`, { method: "POST", headers, body });
      const json = (await res.json()) as { text?: string };
      latencies.push(performance.now() - t0);
      if (res.status !== 200 || json.text?.startsWith("Error")) failures++;
    }
  };
  // Warm-up (JIT, SQLite page cache) is not part of the measurement.
  for (let i = 0; i < 20; i++) {
    const body = slashCommandBody({ text: "help", trigger_id: `warm.${i}` });
    await fetch(`${cp.url}/slack/commands`, { method: "POST", headers: signSlack(secret, body), body }).then((r) =>
      r.text(),
    );
  }
  const t0 = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const wallMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500));
  await close();
  latencies.sort((a, b) => a - b);
  return {
    command: `/openclaw ${opts.text}`,
    requests: opts.requests,
    concurrency: opts.concurrency,
    failures,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies[latencies.length - 1] ?? 0,
    throughputPerS: (opts.requests / wallMs) * 1000,
  };
}
