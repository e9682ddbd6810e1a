/**
 * Does the same fixed work cost more CPU when it runs seconds apart? JSON and regular
 * expressions over 17 KB of objects (about a quick probe's answers), under the agent's V8 flags,
 * once every GAP ms, N times; CPU per run. A diagnostic for docs/benchmarks.md "The watch's CPU
 * per probe", fourth pass: the probe's own extra cost at 30 s is not this.
 *
 *   npx node bench/gap-cost.ts                  # 1 s, 10 s and 30 s apart, in parallel children
 *   EXTRA="--memory-reducer" npx node bench/gap-cost.ts
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { AGENT_NODE_FLAGS } from "../scripts/build-agent.ts";

const text = JSON.stringify(
  Array.from({ length: 200 }, (_, i) => ({
    id: i,
    name: `gateway-${i}`,
    ok: i % 3 === 0,
    at: new Date(1e12 + i).toISOString(),
    tags: ["a", "b", "c"],
  })),
);

function work(): number {
  let s = 0;
  for (let k = 0; k < 6; k++) {
    const o = JSON.parse(text) as Record<string, unknown>[];
    s += JSON.stringify(o).length;
    s += (text.match(/gateway-\d+/g) ?? []).length;
    for (const x of o) s += Object.keys(x).sort().length;
  }
  return s;
}

if (process.argv[2] === "--child") {
  const gap = Number(process.argv[3]);
  const n = Number(process.argv[4]);
  for (let i = 0; i < 5; i++) work();
  let total = 0;
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, gap));
    const c0 = process.cpuUsage();
    work();
    const c = process.cpuUsage(c0);
    total += c.user + c.system;
  }
  console.log(`${String(gap / 1000).padStart(3)} s apart: ${(total / n / 1000).toFixed(2)} ms per run (${n} runs)`);
} else {
  const extra = (process.env.EXTRA ?? "").split(" ").filter(Boolean);
  // About three minutes each, side by side.
  const runs: [number, number][] = [
    [1_000, 180],
    [10_000, 18],
    [30_000, 6],
  ];
  await Promise.all(
    runs.map(
      ([gap, n]) =>
        new Promise<void>((resolve) => {
          const c = spawn(
            process.execPath,
            [...AGENT_NODE_FLAGS, ...extra, fileURLToPath(import.meta.url), "--child", String(gap), String(n)],
            { stdio: "inherit" },
          );
          c.on("exit", () => resolve());
        }),
    ),
  );
}
