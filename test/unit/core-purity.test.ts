import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, isBuiltin } from "node:module";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The control-plane core runs unchanged in workerd, which has no Node built-ins without the
 * nodejs_compat flag (and wrangler.toml sets none). So nothing under src/core may name one,
 * and neither may the Worker's own wiring in src/worker.
 */
const ROOT = join(import.meta.dirname, "../..");
const WEB_STANDARD_ROOTS = ["src/contract", "src/core", "src/adapters", "src/worker"];
const SOURCE_FILE = /\.(?:[cm]?[jt]s|tsx|jsx)$/;

const BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || BUILTINS.has(specifier) || isBuiltin(specifier);
}

/** Every module specifier a file names: static and type imports, re-exports, import(), require(). */
function moduleSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && SOURCE_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe("web-standard sources import no Node built-ins", () => {
  it("recognises every way of naming a built-in (so the check below is not vacuous)", () => {
    const source = [
      'import { readFileSync } from "node:fs";',
      'import type { Socket } from "net";',
      'export * from "path";',
      'export { promisify } from "util";',
      'const cp = require("child_process");',
      'const os = await import("os");',
      'import "http";',
      'import { z } from "zod";',
      'import { renderHelp } from "./render/messages.ts";',
      "// import fs from 'fs'  (a comment is not an import)",
      'const text = "import crypto from \\"crypto\\"";',
    ].join("\n");
    const named = moduleSpecifiers(source);
    expect(named.filter(isNodeBuiltin)).toEqual(["node:fs", "net", "path", "util", "child_process", "os", "http"]);
    expect(named.filter((s) => !isNodeBuiltin(s))).toEqual(["zod", "./render/messages.ts"]);
    expect(["fs/promises", "crypto", "stream/web", "node:sqlite", "node:test"].every(isNodeBuiltin)).toBe(true);
  });

  for (const root of WEB_STANDARD_ROOTS) {
    it(`${root}/** names none`, () => {
      const files = sourceFiles(join(ROOT, root));
      expect(files.length).toBeGreaterThan(0);
      const offences = files.flatMap((file) =>
        moduleSpecifiers(readFileSync(file, "utf8"))
          .filter(isNodeBuiltin)
          .map((spec) => `${relative(ROOT, file)} imports "${spec}"`),
      );
      expect(
        offences,
        `Node built-ins in ${root} (use a web-standard API or a port in src/core/ports.ts):\n${offences.join("\n")}`,
      ).toEqual([]);
    });
  }

  it("biome's noNodejsModules override turns a built-in import under src/core into an error", () => {
    // The repo's biome.json on a scratch tree, so the check never writes into src/.
    const scratch = mkdtempSync(join(tmpdir(), "clawops-biome-"));
    try {
      copyFileSync(join(ROOT, "biome.json"), join(scratch, "biome.json"));
      // …and the lint plugins it names (scripts/biome/*.grit), without which biome refuses to run.
      mkdirSync(join(scratch, "scripts/biome"), { recursive: true });
      for (const plugin of readdirSync(join(ROOT, "scripts/biome")))
        copyFileSync(join(ROOT, "scripts/biome", plugin), join(scratch, "scripts/biome", plugin));
      const probe =
        'import { readFileSync } from "node:fs";\nimport os from "os";\nexport const probe = [readFileSync, os];\n';
      for (const dir of ["src/core/nested", "src/node"]) {
        mkdirSync(join(scratch, dir), { recursive: true });
        writeFileSync(join(scratch, dir, "probe.ts"), probe);
      }
      const run = spawnSync(
        join(ROOT, "node_modules/.bin/biome"),
        ["lint", "--vcs-enabled=false", "--reporter=json", "src"],
        {
          cwd: scratch,
          encoding: "utf8",
        },
      );
      const report = JSON.parse(run.stdout) as {
        diagnostics: { severity: string; category: string; location: { path: string } }[];
      };
      const hits = report.diagnostics
        .filter((d) => d.category === "lint/correctness/noNodejsModules")
        .map((d) => `${d.location.path} ${d.severity}`);
      expect(hits).toEqual(["src/core/nested/probe.ts error", "src/core/nested/probe.ts error"]);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
