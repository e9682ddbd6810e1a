import { setFlagsFromString } from "node:v8";

/**
 * The control plane's V8 heap, set before anything else loads (the first import of main.ts, so
 * `npm start`, the systemd unit, the container and every test that spawns main.ts run it alike).
 * `--optimize-for-size` makes V8 grow the heap in smaller steps and give it back once a burst has
 * passed: after 10,000 alerts (`npm run bench:storm`, one host) the process held on to the ~200 MB
 * heap the burst grew (165.3 → 287.1 MB resident a minute later, 38 MB of it live); with it,
 * 165.5 → 162.5 MB (docs/benchmarks.md, "Incident storms").
 */
setFlagsFromString("--optimize-for-size");
