import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { assembleConsolePage, CONSOLE_PAGE_HTML } from "../../src/node/console/page.ts";

/**
 * The console page is three real files (src/node/console/page.{html,css,client.js}) that the
 * Node runtime inlines into one self-contained page when it starts. The browser tests drive the
 * page itself; these check the assembly, and hold the script's `// @ts-check` JSDoc types to the
 * project's strictness (no build step compiles it, so nothing else would).
 */
const dir = new URL("../../src/node/console/", import.meta.url);

describe("console page", () => {
  it("inlines the stylesheet and the script into page.html, as written", () => {
    const css = readFileSync(new URL("page.css", dir), "utf8").trimEnd();
    const script = readFileSync(new URL("page.client.js", dir), "utf8").trimEnd();
    const incidents = readFileSync(new URL("incidents.client.js", dir), "utf8").trimEnd();
    expect(CONSOLE_PAGE_HTML).toContain(`<style>\n${css}\n</style>`);
    // One script element (the CSP allows it by its one hash): the channel's script, then the incident pages'.
    expect(CONSOLE_PAGE_HTML).toContain(`<script>\n${script}\n${incidents}\n</script>`);
    expect(CONSOLE_PAGE_HTML.match(/<script>/g)).toHaveLength(1);
    expect(CONSOLE_PAGE_HTML).not.toMatch(/\/\* page\.css \*\/|\/\/ page\.client\.js|\/\/ incidents\.client\.js/);
    // Nothing is fetched from elsewhere: no src= or stylesheet link.
    expect(CONSOLE_PAGE_HTML).not.toMatch(/<script[^>]*\ssrc=|<link[^>]*stylesheet/i);
  });

  it("refuses a part that would close its element early", () => {
    const tmp = mkdtempSync(join(tmpdir(), "clawops-page-"));
    try {
      for (const f of ["page.html", "page.css", "incidents.client.js"])
        writeFileSync(join(tmp, f), readFileSync(new URL(f, dir)));
      writeFileSync(join(tmp, "page.client.js"), 'document.write("</script><b>x</b>");\n');
      expect(() => assembleConsolePage(pathToFileURL(`${tmp}/`))).toThrow(
        /page\.client\.js must not contain a closing tag/,
      );
      writeFileSync(join(tmp, "page.client.js"), 'const dollars = "$& $1 $$";\n');
      expect(assembleConsolePage(pathToFileURL(`${tmp}/`))).toContain('const dollars = "$& $1 $$";');
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("type-checks the page scripts (checkJs, strict, DOM)", () => {
    const files = ["page.client.js", "incidents.client.js"].map((f) => new URL(f, dir).pathname);
    const program = ts.createProgram(files, {
      allowJs: true,
      checkJs: true,
      noEmit: true,
      strict: true,
      noUncheckedIndexedAccess: true,
      target: ts.ScriptTarget.ES2023,
      lib: ["lib.es2023.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts"],
      types: [],
      skipLibCheck: true,
    });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .map(
        (d) =>
          `${d.file ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1} ` : ""}${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`,
      );
    expect(problems).toEqual([]);
  });
});
