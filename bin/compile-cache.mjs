import module from "node:module";

// Node keeps the code it compiles for the modules loaded after this one (the CLI's and the agent's
// own, and their dependencies) in a cache folder and reuses it on the next start: the agent's and
// the CLI's starts take about half the CPU (docs/benchmarks.md, "CLI start"). The folder is
// NODE_COMPILE_CACHE when set, else node-compile-cache in the temp folder; a cache that cannot be
// written only leaves the start as it was. OpenClaw's launcher does the same.
try {
  module.enableCompileCache?.();
} catch {
  // Best effort.
}
