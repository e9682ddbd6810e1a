import { setFlagsFromString } from "node:v8";

/**
 * The control plane's V8 heap, set before anything else loads (the first import of main.ts, so
 * `npm start`, the systemd unit, the container and every test that spawns main.ts run it alike).
 * `--optimize-for-size` makes V8 grow the heap in smaller steps and give it back once a burst has
 * passed: after 10,000 alerts in 10 s (`npm run bench:storm`) the process held on to the 200 MB
 * heap the burst grew (165 → 287 MB resident a minute later, 40 MB of it live); with it, 144 →
 * 148 MB (docs/benchmarks.md, "Alert storms").
 */
setFlagsFromString("--optimize-for-size");
