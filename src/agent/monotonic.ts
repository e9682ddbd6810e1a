/**
 * Milliseconds on a monotonic clock (fractional; only differences mean anything), from
 * `process.hrtime`, which Node has at startup. The agent's stand-in for `performance.now()`:
 * the global `performance` is a getter that loads `perf_hooks` and eight more of Node's modules
 * (user timing, histograms, event-loop delay…), about 0.5 MB resident, for a clock
 * (scripts/build-agent.ts).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;
