import { z } from "zod";
import { type CalVer, parseCalVer, parseRange, satisfies, type VersionRange } from "./versions.ts";

/**
 * The known-issue catalog's file format (docs/known-issues.md): the one shipped with clawops
 * (catalog.json) and the operator's own (CLAWOPS_KNOWN_ISSUES_FILE) are both read by this schema,
 * so a malformed entry in either is refused the same way, naming the entry and the field.
 */

/** The file format's version: a catalog written for another one is refused, not half-read. */
export const CATALOG_FORMAT = 1;

const ISSUE_URL = /^https:\/\/github\.com\/openclaw\/openclaw\/(issues|pull)\/(\d{1,7})$/;
const FINDING_ID = /^[a-z0-9][a-z0-9.-]{1,80}$/;

const Fingerprint = z
  .strictObject({
    /** Finding ids (src/core/classify); absent: any finding whose evidence matches. */
    findings: z
      .array(z.string().regex(FINDING_ID, "a finding id is lowercase letters, digits and '-'"))
      .min(1)
      .optional(),
    /** Regular expressions (case-insensitive), one of which must match one of the finding's evidence lines. */
    evidence: z.array(z.string().min(3).max(300)).min(1).optional(),
  })
  .superRefine((f, ctx) => {
    if (!f.findings && !f.evidence)
      ctx.addIssue({ code: "custom", message: "names neither findings nor evidence: it would match every finding" });
    for (const [i, pattern] of (f.evidence ?? []).entries()) {
      try {
        new RegExp(pattern, "i");
      } catch (err) {
        ctx.addIssue({
          code: "custom",
          path: ["evidence", i],
          message: `not a valid regular expression: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
  });

const Entry = z
  .strictObject({
    /** Stable id: an operator entry with the same id replaces the shipped one. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{2,80}$/, "an entry id is lowercase letters, digits and '-' (3 to 81)"),
    issue: z.strictObject({
      /** `openclaw/openclaw#138232`: what a finding says. */
      ref: z.string().regex(/^openclaw\/openclaw#\d{1,7}$/, "is openclaw/openclaw#<number>"),
      url: z.string().regex(ISSUE_URL, "is https://github.com/openclaw/openclaw/issues/<n> or …/pull/<n>"),
      title: z.string().min(3).max(300),
      /** True when the title is described from a report, not copied from the tracker. */
      titleParaphrased: z.boolean(),
    }),
    /** Any one fingerprint matching is enough. */
    match: z.array(Fingerprint).min(1),
    /** The OpenClaw versions affected: `>=2026.9.0 <2026.9.6`, alternatives with `||`, `*` for all. */
    versions: z.string().superRefine((s, ctx) => {
      const r = parseRange(s);
      if ("error" in r) ctx.addIssue({ code: "custom", message: `not a version range: ${r.error}` });
    }),
    /** The first release with the fix; null when none is released yet. */
    fixedIn: z
      .string()
      .refine((s) => parseCalVer(s) !== null, "is not a calendar version like 2026.9.6")
      .nullable(),
    /** Where the fix was merged when no release that carries it is known (`PR #154203`). */
    fixedBy: z.string().min(3).max(120).nullable().optional(),
    workaround: z.string().min(3).max(600),
    /** Where the strings of `match` come from: a file of the release's dist, or the report. */
    source: z.string().min(3).max(300),
  })
  .superRefine((e, ctx) => {
    const m = ISSUE_URL.exec(e.issue.url);
    if (m && e.issue.ref !== `openclaw/openclaw#${m[2]}`)
      ctx.addIssue({ code: "custom", path: ["issue", "ref"], message: `names another number than its url (${m[2]})` });
    const range = parseRange(e.versions);
    const fixed = e.fixedIn ? parseCalVer(e.fixedIn) : null;
    if (fixed && !("error" in range) && satisfies(fixed, range))
      ctx.addIssue({
        code: "custom",
        path: ["fixedIn"],
        message: `${e.fixedIn} is inside the affected versions (${e.versions}): the release that fixes it cannot be affected`,
      });
  });

export const CatalogFileSchema = z.strictObject({
  format: z.literal(CATALOG_FORMAT),
  /** The catalog's own version: a date, for "catalog of 2026-11-26". */
  updated: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "is a date like 2026-11-26"),
  entries: z.array(Entry).superRefine((entries, ctx) => {
    const seen = new Set<string>();
    for (const [i, e] of entries.entries()) {
      if (seen.has(e.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `'${e.id}' appears twice` });
      seen.add(e.id);
    }
  }),
});

export type CatalogFile = z.infer<typeof CatalogFileSchema>;
export type CatalogEntry = CatalogFile["entries"][number];

/** An entry ready to match: its patterns compiled and its range parsed once. */
export interface KnownIssue extends CatalogEntry {
  patterns: { findings: ReadonlySet<string> | null; evidence: RegExp[] | null }[];
  range: VersionRange;
  fixed: CalVer | null;
  /** Where it came from: the shipped catalog or the operator's file. */
  origin: string;
}

export interface KnownIssueCatalog {
  /** The shipped catalog's date and, when set, the operator's file's. */
  versions: { origin: string; updated: string; entries: number }[];
  entries: KnownIssue[];
}

export class KnownIssueCatalogError extends Error {
  readonly code = "bad_known_issues";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "KnownIssueCatalogError";
  }
}

/**
 * Parses one catalog file's JSON value. Throws KnownIssueCatalogError naming the file, the entry
 * (its position and id) and the field: `entry 3 (plugin-sdk-export-138232), field match[0].evidence[1]: …`.
 */
export function parseCatalog(raw: unknown, origin: string): KnownIssueCatalog {
  const parsed = CatalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KnownIssueCatalogError(
      `known-issue catalog ${origin}: ${describePath(raw, issue?.path ?? [])}: ${issue?.message ?? "invalid"}`,
    );
  }
  return {
    versions: [{ origin, updated: parsed.data.updated, entries: parsed.data.entries.length }],
    entries: parsed.data.entries.map((e) => compile(e, origin)),
  };
}

/** The operator's entries over the shipped ones: the same id replaces, a new id adds. */
export function mergeCatalogs(base: KnownIssueCatalog, extra: KnownIssueCatalog): KnownIssueCatalog {
  const replaced = new Set(extra.entries.map((e) => e.id));
  return {
    versions: [...base.versions, ...extra.versions],
    entries: [...base.entries.filter((e) => !replaced.has(e.id)), ...extra.entries],
  };
}

function compile(e: CatalogEntry, origin: string): KnownIssue {
  const range = parseRange(e.versions);
  if ("error" in range) throw new KnownIssueCatalogError(`known-issue catalog ${origin}: ${e.id}: ${range.error}`);
  return {
    ...e,
    patterns: e.match.map((f) => ({
      findings: f.findings ? new Set(f.findings) : null,
      evidence: f.evidence ? f.evidence.map((p) => new RegExp(p, "i")) : null,
    })),
    range,
    fixed: e.fixedIn ? parseCalVer(e.fixedIn) : null,
    origin,
  };
}

function describePath(raw: unknown, path: readonly PropertyKey[]): string {
  if (path[0] !== "entries" || typeof path[1] !== "number") return `field ${fieldName(path) || "(top level)"}`;
  const index = path[1];
  const entries = (raw as { entries?: unknown[] } | null)?.entries;
  const id = (entries?.[index] as { id?: unknown } | undefined)?.id;
  const named = typeof id === "string" ? ` (${id.slice(0, 80)})` : "";
  const field = fieldName(path.slice(2));
  return `entry ${index}${named}${field ? `, field ${field}` : ""}`;
}

function fieldName(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
}
