#!/usr/bin/env node
import "./require-node.mjs";
import "./compile-cache.mjs";
import { existsSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";

// In a clawops checkout (sources beside, dependencies installed) the agent runs from its
// TypeScript. Installed from a package (`npm pack`), it runs the single-file agent the package
// carries (dist/clawops-agent.mjs, made by `prepack`): Node does not strip types under
// node_modules, and the agent needs no other file.
const here = dirname(fileURLToPath(import.meta.url));
const checkout =
  !here.split(sep).includes("node_modules") &&
  existsSync(join(here, "..", "src", "agent", "main.ts")) &&
  existsSync(join(here, "..", "node_modules"));

if (checkout) await import("../src/agent/main.ts");
else if (existsSync(join(here, "..", "dist", "clawops-agent.mjs"))) await import("../dist/clawops-agent.mjs");
else {
  console.error(
    `${process.argv[1]}: this clawops package has no dist/clawops-agent.mjs; build it with \`npm run build:agent\` in a clawops checkout.`,
  );
  process.exit(1);
}
