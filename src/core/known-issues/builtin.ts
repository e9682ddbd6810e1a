import shipped from "./catalog.json" with { type: "json" };
import { type KnownIssueCatalog, parseCatalog } from "./schema.ts";

/**
 * The catalog shipped with clawops (catalog.json beside this file), parsed on first use. It is data
 * bundled into the program on both runtimes (no file read, no network), so Workers has it too;
 * the operator's own file is added on Node only (src/node/known-issues-file.ts).
 */
let builtin: KnownIssueCatalog | null = null;

export function builtinKnownIssues(): KnownIssueCatalog {
  builtin ??= parseCatalog(shipped, "shipped with clawops");
  return builtin;
}
