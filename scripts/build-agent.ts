/**
 * Builds the agent as ONE self-contained JavaScript file, `dist/clawops-agent.mjs`, with its
 * dependencies (`ws`, zod, secretlint's rules, fflate, json5) inside: the same `ws` and zod as the
 * control plane, the same schemas (src/contract) parsed by the same zod. On the path of `run` the
 * bundle never loads `fetch` (undici): HTTP is Node's own `node:http` (docs/benchmarks.md).
 * Copy that file to a gateway host that has Node >= 24.16 (OpenClaw needs it anyway): no
 * `npm install` and no node_modules there.
 *
 * Why a build at all when Node runs our TypeScript directly: type stripping loads a WebAssembly
 * compiler into every agent process and each module is a separate file to resolve and parse. The
 * bundle skips both; with AGENT_NODE_FLAGS and AGENT_SERVICE_ENV it is about 55 MB smaller resident
 * per host (README, Benchmarks, `npm run bench -- --only agent-mem`).
 *
 *   npm run build:agent [-- --outfile path]     (and path.sha256 beside it)
 * (The Worker's copy: scripts/worker-assets.ts, wrangler.toml's build command.)
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Plugin } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Node flags the agent runs with (infra/systemd, infra/launchd). An idle prober needs only the
 * interpreter: no optimizing compilers (--no-opt --no-maglev) and no baseline compiler
 * (--no-sparkplug, which saves what --jitless would without removing WebAssembly, which Node's
 * fetch needs); a 1 MB young generation; and bytecode dropped once a function sat unused through
 * two full GCs (--bytecode-old-age=2; it is compiled again from the source when a job needs it).
 * Not one: V8 collects in full every few watch probes, often inside one, so at 1 the watch's own
 * functions were dropped and compiled again from source between one probe and the next, about
 * 10 ms of CPU a probe for half a MB (docs/benchmarks.md "The watch's CPU per probe").
 * --expose-gc lets it collect right after startup and after each job (src/agent/memory.ts);
 * since it does, V8's memory reducer (--no-memory-reducer) only repeated that work: ~8 s after
 * each such collection it ran two more full ones that found nothing left to free, after every
 * watch probe (docs/benchmarks.md).
 */
export const AGENT_NODE_FLAGS = [
  "--optimize-for-size",
  "--no-opt",
  "--no-maglev",
  "--no-sparkplug",
  "--max-semi-space-size=1",
  "--bytecode-old-age=2",
  "--expose-gc",
  "--no-memory-reducer",
] as const;

/**
 * Environment the service sets for the agent (infra/systemd; glibc reads it once, at process
 * start): freed blocks of 32 KB and more go back to the system at once instead of staying in the
 * allocator's heap (parser memory from loading the bundle, read buffers from each job), and one
 * malloc arena for all of Node's threads instead of one per thread that allocates (V8's helper
 * threads, libuv's pool), each holding freed memory of its own: 2.3 MB less resident idle
 * (docs/benchmarks.md). The agent removes both from the environment of the commands its probes
 * run (src/agent/main.ts).
 */
export const AGENT_SERVICE_ENV = { MALLOC_MMAP_THRESHOLD_: "32768", MALLOC_ARENA_MAX: "1" } as const;

/**
 * Node built-ins come through `require`, not `import`, and only the names the agent uses are read.
 * An ES import of a built-in makes Node build its module namespace, which reads every export,
 * getters included; `node:http`'s `WebSocket`, `CloseEvent` and `MessageEvent` getters load undici
 * (Node's fetch, with its WebAssembly HTTP parser) at startup. And esbuild's usual wrapper for a
 * required module (`__toESM`) copies every property descriptor, which in Node 24 loads each lazy
 * export too: `node:util`'s `diff`, `setTraceSigInt` and `parseArgs` alone bring streams,
 * `worker_threads` and Web Locks, about 1 MB resident (docs/benchmarks.md). So each built-in
 * becomes a module of one read per export, marked pure: esbuild drops the ones nothing imports.
 */
/** A Node built-in, with or without `node:` (`fs`, `fs/promises`, `node:sqlite`). */
const BUILTIN_ID = new RegExp(`^(node:.*|${builtinModules.join("|")})$`);

const builtinsThroughRequire: Plugin = {
  name: "builtins-through-require",
  setup(b) {
    // `node:fs` and `fs` alike: fflate's ES build imports `createRequire` from "module", which an
    // import left to Node would load (with its source-map support) into every agent at startup.
    b.onResolve({ filter: BUILTIN_ID }, (args) =>
      args.kind === "import-statement"
        ? { path: args.path, namespace: "node-builtin" }
        : args.kind === "dynamic-import"
          ? { path: args.path, namespace: "node-builtin-whole" }
          : undefined,
    );
    // `await import("node:fs")` (a secretlint rule, run only for a file) wants the whole
    // namespace: the module as it is, copied when that import runs, not at startup.
    b.onLoad({ filter: /.*/, namespace: "node-builtin-whole" }, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "node-builtin" }, (args) => {
      // The export names, read here in the build (whatever they load, they load in esbuild's process).
      const names = Object.keys(process.getBuiltinModule(args.path) ?? {}).filter((k) => k !== "default");
      return {
        contents: [
          `const m = require(${JSON.stringify(args.path)});`,
          "const get = (name) => m[name];",
          "export default m;",
          ...names.map((k, i) => `const v${i} = /* @__PURE__ */ get(${JSON.stringify(k)});`),
          `export { ${names.map((k, i) => `v${i} as ${JSON.stringify(k)}`).join(", ")} };`,
        ].join("\n"),
        loader: "js",
      };
    });
  },
};

/**
 * secretlint logs through `debug`, whose Node build loads `tty`, `os` and `supports-color` to
 * colour output that only `DEBUG=secretlint*` would print. In the agent: a `debug` that is never
 * enabled (the agent logs as JSON, src/agent/log.ts).
 */
const silentDebug: Plugin = {
  name: "silent-debug",
  setup(b) {
    b.onResolve({ filter: /^debug$/ }, (args) =>
      /[\\/]@secretlint[\\/]/.test(args.importer) ? { path: "debug", namespace: "silent-debug" } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: "silent-debug" }, () => ({
      contents: [
        "const off = () => {};",
        "off.enabled = false;",
        "off.extend = () => off;",
        "module.exports = () => off;",
      ].join("\n"),
      loader: "js",
    }));
  },
};

/**
 * Two of Node's modules the agent keeps unloaded; each figure is what loading it adds, resident, to
 * a process that has loaded what the agent loads (`net`, `child_process`, `crypto`, `fs`'s
 * callbacks) with AGENT_NODE_FLAGS and AGENT_SERVICE_ENV, median of 5:
 * - `node:fs/promises`, 0.9 MB: in Node 24 it brings readline, the REPL's history, fs watchers and
 *   directory streams (for FileHandle's `readLines`, `watch`, `opendir`), nine modules. The agent's
 *   file calls are src/agent/fs-async.ts, on `node:fs`'s callbacks, which bare Node has loaded.
 * - `node:perf_hooks`, 0.5 MB: user timing, observers, histograms, event-loop delay, nine modules
 *   too. The global `performance` is a getter that loads it: the agent's clock is
 *   src/agent/monotonic.ts (`process.hrtime`). secretlint's profiler (its Node build) reads
 *   perf_hooks when it loads, for a profile the agent turns off before the first scan
 *   (src/contract/secret-rules.ts): in the agent, the same `SecretLintProfiler` class, its
 *   `secretLintProfiler` made disabled, with a no-op clock and observer. The control plane and
 *   workerd keep secretlint's own builds.
 * Both, 1.2 MB. In the agent (`npm run bench -- --only agent-mem --rounds 3`, twice each, interleaved
 * with the code before): 55.3–57.1 MB resident idle before, 54.3–55.2 MB after (medians 55.3 and
 * 56.9, then 54.4 and 54.5); after a triage 55.5–55.9 MB before, 54.7–54.9 MB after (bare Node
 * 41 MB). biome.json forbids `node:fs/promises`, `perf_hooks` and `performance` in src/agent
 * and src/contract; test/unit/agent-bundle.test.ts checks Node's list of loaded modules after a
 * `probe` run of the bundle.
 */
const profilerOff: Plugin = {
  name: "secretlint-profiler-off",
  setup(b) {
    b.onResolve({ filter: /^@secretlint\/profiler$/ }, () => ({ path: "profiler", namespace: "profiler-off" }));
    b.onLoad({ filter: /.*/, namespace: "profiler-off" }, () => {
      // The package exports only its Node and browser builds; the class is in index.js beside them.
      const nodeBuild = fileURLToPath(import.meta.resolve("@secretlint/profiler"));
      return {
        contents: [
          `import { SecretLintProfiler } from ${JSON.stringify(resolve(dirname(nodeBuild), "index.js"))};`,
          "export { SecretLintProfiler };",
          "const off = () => {};",
          "class NullPerformanceObserver { disconnect() {} observe() {} }",
          "export const secretLintProfiler = new SecretLintProfiler({",
          "  enabled: false,",
          "  perf: { mark: off, measure: off },",
          "  PerformanceObserver: NullPerformanceObserver,",
          "});",
        ].join("\n"),
        loader: "js",
        resolveDir: root,
      };
    });
  },
};

/**
 * secretlint's recommended rules carry lodash.sortby, which asks `process.binding("util")` for a
 * faster `isTypedArray` when it loads: Node's deprecated bindings shim, one more of its modules in
 * every agent. In the agent lodash uses its own `isTypedArray`, as it does where `process.binding`
 * is unavailable. The build fails if the line is not found once (a new secretlint: look again).
 */
const noProcessBinding: Plugin = {
  name: "no-process-binding",
  setup(b) {
    b.onLoad({ filter: /[\\/]@secretlint[\\/]secretlint-rule-preset-recommend[\\/]module[\\/]index\.js$/ }, (args) => {
      const probe = "freeProcess && freeProcess.binding('util')";
      const text = readFileSync(args.path, "utf8");
      const parts = text.split(probe);
      if (parts.length !== 2)
        throw new Error(
          `bundle: expected lodash's process.binding("util") once in ${args.path}, found ${parts.length - 1}`,
        );
      return { contents: parts.join("undefined"), loader: "js" };
    });
  },
};

/**
 * Node holds an ASCII source at one byte a character, anything else at two. esbuild escapes
 * strings, templates and names (`charset: "ascii"`) but not regular expression literals, and
 * minifying drops comments: what is left past ASCII is in a regex, where `\uXXXX` (one per UTF-16
 * unit) means the same character, with or without the `u` flag.
 */
function asciiOnly(code: string): string {
  return code.replace(/(\\?)([\u0080-\uffff])/g, (_, backslash: string, char: string) => {
    if (backslash)
      throw new Error(`bundle: cannot escape "\\${char}" safely; write it as \\u${hex4(char)} in the source`);
    return `\\u${hex4(char)}`;
  });
}

const hex4 = (char: string) => (char.codePointAt(0) ?? 0).toString(16).padStart(4, "0");

/**
 * The single-file agent as text, built in memory. esbuild is a development dependency, loaded
 * here only: the control plane imports this module for AGENT_NODE_FLAGS and builds the agent it
 * serves to hosts with this function when esbuild is installed (src/node/agent-install.ts).
 */
export async function bundleAgent(
  // What bin/clawops-agent.mjs runs in a checkout: the Node version check, then the agent. (Tests
  // bundle other entries, paths relative to the repository, the same way.)
  entry = '#!/usr/bin/env node\nimport "./bin/require-node.mjs";\n\nawait import("./src/agent/main.ts");\n',
): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: "bin/clawops-agent.mjs", loader: "js" },
    // Names the output only: nothing is written (write: false).
    outfile: resolve(root, "dist/clawops-agent.mjs"),
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // Bundled CommonJS (secretlint) and builtinsThroughRequire call require() for Node built-ins
    // only (everything else is inside the bundle): give the ES module one that returns them.
    // Not `createRequire(import.meta.url)`: `node:module` and `import.meta` load three of Node's
    // modules (`module`, its source-map support, import.meta's initializer) that nothing else needs.
    banner: {
      js: [
        "// clawops-agent, bundled by scripts/build-agent.ts; sources: src/agent, src/core.",
        'const require = (id) => { const m = process.getBuiltinModule(id); if (m === undefined) throw new Error("clawops-agent: no Node built-in " + id); return m; };',
      ].join("\n"),
    },
    legalComments: "eof",
    // Node keeps the whole source in memory for the process's life (lazy compilation): no comments
    // or indentation, names kept so stack traces still read. The output is ASCII (esbuild escapes
    // strings), which Node holds at one byte a character instead of two.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: "ascii",
    logLevel: "warning",
    // ws's optional native add-ons (faster masking and UTF-8 checks): it works without them, and so does the bundle.
    external: ["bufferutil", "utf-8-validate"],
    plugins: [builtinsThroughRequire, silentDebug, profilerOff, noProcessBinding],
  });
  const [out] = result.outputFiles;
  if (!out || result.outputFiles.length !== 1) throw new Error("bundle: esbuild made no single output file");
  return asciiOnly(out.text);
}

/**
 * Why esbuild cannot build here, or null when it can: the package is absent (an install without
 * it), or its platform binary is (`--omit=optional`, a node_modules copied from another
 * platform). Asked before a build, so only those two fall back to a prebuilt agent: an error in
 * the sources still fails the build, never hidden behind an older file.
 */
export async function esbuildUnavailable(): Promise<string | null> {
  try {
    const esbuild = await import("esbuild");
    await esbuild.transform("");
    return null;
  } catch (err) {
    return err instanceof Error ? err.message.split("\n")[0] || String(err) : String(err);
  }
}

/** `<hex>  clawops-agent.mjs`, as `sha256sum` prints it: written beside a built agent, checked before it is served. */
export function sha256Line(code: string | Uint8Array): string {
  return `${createHash("sha256").update(code).digest("hex")}  clawops-agent.mjs\n`;
}

/**
 * Writes the agent and its SHA-256 (`<outfile>.sha256`, sha256sum's format): a control plane
 * that serves this prebuilt file (src/node/agent-install.ts) refuses it unless the two agree.
 */
export async function buildAgent(outfile: string): Promise<{ outfile: string; bytes: number; sha256: string }> {
  const code = await bundleAgent();
  mkdirSync(dirname(outfile), { recursive: true });
  writeFileAtomically(outfile, code, 0o755);
  const line = sha256Line(code);
  writeFileAtomically(`${outfile}.sha256`, line);
  return { outfile, bytes: Buffer.byteLength(code), sha256: line.split(" ")[0] ?? "" };
}

/**
 * Writes `data` beside `path` and renames it over it: whatever already serves the file (a control
 * plane, a Worker's assets) reads the old one or the new one, never a missing or half-written one.
 */
export function writeFileAtomically(path: string, data: string | Uint8Array, mode?: number): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  writeFileSync(tmp, data);
  if (mode !== undefined) chmodSync(tmp, mode);
  renameSync(tmp, path);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outfile: { type: "string" } } });
  const out = await buildAgent(resolve(values.outfile ?? resolve(root, "dist/clawops-agent.mjs")));
  process.stdout.write(
    `Built ${out.outfile} (${Math.round(out.bytes / 1024)} KB, SHA-256 ${out.sha256}). Run it on a gateway host with Node >= 24.16:\n` +
      `  ${Object.entries(AGENT_SERVICE_ENV)
        .map(([k, v]) => `${k}=${v} `)
        .join("")}node ${AGENT_NODE_FLAGS.join(" ")} ${out.outfile} run\n`,
  );
}
