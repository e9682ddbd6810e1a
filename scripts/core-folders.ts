/**
 * No two folders of src/core import each other, directly or around a loop (`npm run lint:layers`).
 *
 * dependency-cruiser's floor rules (.dependency-cruiser.cjs) keep each floor from importing a
 * higher one; this keeps folders on the same floor from tying themselves together. It collapses
 * every module to its folder (the root files count as one folder, "(root)"), finds the strongly
 * connected groups of that folder graph, and fails naming the folders and one import per edge
 * of any group larger than one.
 */
import { cruise } from "dependency-cruiser";

const CORE = "src/core/";

function folderOf(path: string): string | undefined {
  if (!path.startsWith(CORE)) return undefined;
  const rest = path.slice(CORE.length);
  const slash = rest.indexOf("/");
  return slash === -1 ? "(root)" : rest.slice(0, slash);
}

const result = await cruise([CORE], {
  doNotFollow: { path: "node_modules" },
  tsPreCompilationDeps: true,
  tsConfig: { fileName: "tsconfig.json" },
});
if (typeof result.output === "string") throw new Error("dependency-cruiser answered text, expected modules");

/** folder → folder → one import that makes the edge (for the message). */
const edges = new Map<string, Map<string, string>>();
for (const mod of result.output.modules) {
  const from = folderOf(mod.source);
  if (from === undefined) continue;
  if (!edges.has(from)) edges.set(from, new Map());
  for (const dep of mod.dependencies) {
    const to = folderOf(dep.resolved);
    if (to === undefined || to === from) continue;
    const out = edges.get(from) as Map<string, string>;
    if (!out.has(to)) out.set(to, `${mod.source} → ${dep.resolved}`);
  }
}

// Tarjan's strongly connected components over the folder graph.
const index = new Map<string, number>();
const low = new Map<string, number>();
const stack: string[] = [];
const onStack = new Set<string>();
const groups: string[][] = [];
let next = 0;
function visit(v: string): void {
  index.set(v, next);
  low.set(v, next);
  next += 1;
  stack.push(v);
  onStack.add(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
  }
  if (low.get(v) === index.get(v)) {
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    groups.push(group);
  }
}
for (const v of edges.keys()) if (!index.has(v)) visit(v);

const tangled = groups.filter((g) => g.length > 1);
if (tangled.length === 0) {
  console.log(`✔ src/core: ${edges.size} folders, no two import each other (directly or around a loop)`);
} else {
  for (const group of tangled) {
    const members = new Set(group);
    console.error(`✘ src/core folders import each other around a loop: ${group.sort().join(", ")}`);
    for (const from of group) {
      for (const [to, via] of edges.get(from) ?? []) if (members.has(to)) console.error(`    ${via}`);
    }
  }
  console.error("Move the shared part down a floor (docs/architecture.md), or merge the folders.");
  process.exitCode = 1;
}
