/**
 * Builds the agent as ONE self-contained JavaScript file, `dist/clawops-agent.mjs`, with its
 * dependencies (ws, zod) inside. Copy that file to a gateway host that has Node >= 24.16 (OpenClaw
 * needs it anyway): no `npm install` and no node_modules there.
 *
 * Why a build at all when Node runs our TypeScript directly: type stripping loads a WebAssembly
 * compiler into every agent process and each module is a separate file to resolve and parse. The
 * bundle skips both; with AGENT_NODE_FLAGS it is about 45 MB smaller resident per host (README,
 * Benchmarks, `npm run bench -- --only agent-mem`).
 *
 *   npm run build:agent [-- --outfile path]
 */
import { chmodSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Node flags the agent runs with (infra/systemd, infra/launchd): an idle prober needs no optimizing
 * compiler and only a small young generation. Not --lite-mode or --jitless: both remove
 * WebAssembly, which Node's fetch (undici's HTTP parser) needs.
 */
export const AGENT_NODE_FLAGS = ["--optimize-for-size", "--no-opt", "--no-maglev", "--max-semi-space-size=1"] as const;

export async function buildAgent(outfile: string): Promise<{ outfile: string; bytes: number }> {
  mkdirSync(dirname(outfile), { recursive: true });
  const result = await build({
    entryPoints: [resolve(root, "bin/clawops-agent.mjs")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    // ws's optional native add-ons: it works without them and so does the bundle.
    external: ["bufferutil", "utf-8-validate"],
    // Bundled CommonJS (ws) calls require() for Node built-ins; give the ES module one.
    banner: {
      js: [
        "// clawops-agent, bundled by scripts/build-agent.ts; sources: src/agent, src/core.",
        "import { createRequire as __clawopsCreateRequire } from 'node:module';",
        "const require = __clawopsCreateRequire(import.meta.url);",
      ].join("\n"),
    },
    legalComments: "eof",
    logLevel: "warning",
    metafile: true,
  });
  chmodSync(outfile, 0o755);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return { outfile, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outfile: { type: "string" } } });
  const out = await buildAgent(resolve(values.outfile ?? resolve(root, "dist/clawops-agent.mjs")));
  process.stdout.write(
    `Built ${out.outfile} (${Math.round(out.bytes / 1024)} KB). Run it on a gateway host with Node >= 24.16:\n` +
      `  node ${AGENT_NODE_FLAGS.join(" ")} ${out.outfile} run\n`,
  );
}
