import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ICON_SPRITE, iconize, iconLabel } from "../../src/adapters/console/icons.ts";

/**
 * The console draws every emoji clawops writes as one of its own SVG icons (no emoji font
 * needed). So every emoji in the messages' source has a named icon: a new one without an icon
 * fails here, instead of showing as an unnamed dot (or a box) in the console.
 */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

const EMOJI = /(?![\u00a9\u00ae\u2122])(?:\p{Extended_Pictographic}|\u2139)\ufe0f?/gu;

describe("console icons", () => {
  it("every emoji in the messages' source has a named icon", () => {
    const found = new Set<string>();
    for (const file of [...sources("src/core"), ...sources("src/adapters")]) {
      for (const m of readFileSync(file, "utf8").matchAll(EMOJI)) found.add(m[0]);
    }
    expect(found.size).toBeGreaterThan(20);
    const unnamed = [...found].filter((e) => iconLabel(e) === undefined);
    expect(unnamed).toEqual([]);
  });

  it("draws an emoji as an labelled svg pointing into the sprite, and leaves other text alone", () => {
    const html = iconize("🔴 Auth: fail → ok · ©");
    expect(html).toMatch(
      /^<svg class="icon" role="img" aria-label="failing"><use href="#(icon-\d+)"\/><\/svg> Auth: fail → ok · ©$/,
    );
    const id = /href="#(icon-\d+)"/.exec(html)?.[1];
    expect(ICON_SPRITE).toContain(`<symbol id="${id}" viewBox="0 0 16 16">`);
    expect(iconize("⚠️ x")).toBe(iconize("⚠ x"));
  });
});
