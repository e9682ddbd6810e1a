import { z } from "zod";
import { errorMessage } from "../../contract/errors.ts";

/**
 * One configuration variable of a runtime (issue 28): how its text becomes a value, what it is
 * for, its default and whether it is a secret. A runtime declares all of its variables once, in
 * one table of these (src/node/config/schema.ts, src/worker/env-vars.ts), the variables both read
 * spread in from one shared table (src/adapters/env/shared-vars.ts); the start parses them
 * together, `clawops config` shows them and docs/configuration.md is written from them.
 */
export interface VarSpec<T = unknown> {
  /** The section of the reference page it is listed under. */
  readonly group: string;
  /** What it does, one or two sentences, as the reference page says it. */
  readonly doc: string;
  /** Text (undefined when unset or empty) → value; an issue's message says what is wrong. */
  readonly schema: z.ZodType<T, string | undefined>;
  /** The value used when unset, as the operator would write it ("8787"), for the page and `clawops config`. */
  readonly default?: string;
  /** A default that depends on the machine (its host name): shown by `clawops config`, described by `default`'s absence and `doc`. */
  readonly machineDefault?: () => string;
  /** Never shown, logged or echoed in an error: `clawops config` prints only that it is set. */
  readonly secret?: boolean;
}

export type VarTable = Readonly<Record<string, VarSpec>>;
export type VarValues<S extends VarTable> = { [K in keyof S]: S[K] extends VarSpec<infer T> ? T : never };

/** Where a value came from: the environment, a file of `KEY=value` lines, Parameter Store, the default. */
export type VarSource = "env" | "default" | "unset" | (string & {});

export type ParsedVars<S extends VarTable> =
  | { ok: true; values: VarValues<S>; sources: Record<keyof S & string, VarSource> }
  | { ok: false; problems: string[]; sources: Record<keyof S & string, VarSource> };

/** A variable's text: unset and empty are the same ("not set"), as a shell and systemd treat them. */
export function textOf(raw: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = raw[name];
  return v === undefined || v.trim() === "" ? undefined : v;
}

/**
 * Parses every variable of `table` from `raw` at once and lists every problem, one line each,
 * naming the variable (a secret's value is never quoted). `given` says where set values came
 * from when not the environment (a file, Parameter Store).
 */
export function parseVars<S extends VarTable>(
  table: S,
  raw: Readonly<Record<string, string | undefined>>,
  given: Partial<Record<keyof S & string, VarSource>> = {},
): ParsedVars<S> {
  const names = Object.keys(table) as (keyof S & string)[];
  const sources = Object.fromEntries(
    names.map((n) => [
      n,
      textOf(raw, n) !== undefined
        ? (given[n] ?? "env")
        : table[n]?.default !== undefined || table[n]?.machineDefault
          ? "default"
          : "unset",
    ]),
  ) as Record<keyof S & string, VarSource>;
  const shape = Object.fromEntries(names.map((n) => [n, (table[n] as VarSpec).schema]));
  const parsed = z.object(shape).safeParse(Object.fromEntries(names.map((n) => [n, textOf(raw, n)])));
  if (parsed.success) return { ok: true, values: parsed.data as VarValues<S>, sources };
  return { ok: false, problems: parsed.error.issues.map((i) => problemLine(table, i)), sources };
}

function problemLine(table: VarTable, issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0] ?? "");
  const spec = table[name];
  // zod's own messages for a type mismatch may quote the input: a secret's only says it is wrong.
  if (spec?.secret && issue.code !== "custom")
    return `${name}: ${issue.code === "too_small" ? "too short" : "invalid"}.`;
  return issue.message.startsWith(name) ? issue.message : `${name}: ${issue.message}`;
}

/**
 * A variable read by an existing parser (text or undefined → value, throwing a message that
 * names the variable): its throw becomes this variable's issue, listed with the others.
 */
export function parsedBy<T>(parse: (text: string | undefined) => T): z.ZodType<T, string | undefined> {
  return z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return parse(text);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: errorMessage(err) });
        return z.NEVER;
      }
    });
}

/** Free text, undefined when unset. */
export const optionalText = (): z.ZodType<string | undefined, string | undefined> => z.string().optional();

/** A secret: unset, or at least `min` characters. */
export function secretText(min = 1): z.ZodType<string | undefined, string | undefined> {
  return z.string().min(min).optional();
}

/** On/off: 1, true, yes, on / 0, false, no, off; unset → `fallback`. */
export function flag(name: string, fallback: boolean): z.ZodType<boolean, string | undefined> {
  return parsedBy((text) => {
    if (text === undefined) return fallback;
    const v = text.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(v)) return true;
    if (["0", "false", "no", "off"].includes(v)) return false;
    throw new Error(`${name}: "${text.slice(0, 20)}" is not 1 or 0 (on or off).`);
  });
}

/** A whole number in [min, max]; unset → `fallback`. */
export function wholeNumber<F extends number | undefined>(
  name: string,
  min: number,
  max: number,
  fallback: F,
  unit = "",
): z.ZodType<number | F, string | undefined> {
  return parsedBy((text) => {
    if (text === undefined) return fallback;
    const n = Number(text.trim());
    if (!/^\s*\d+\s*$/.test(text) || n < min || n > max) {
      throw new Error(`${name}: "${text.slice(0, 20)}" is not a whole number${unit} from ${min} to ${max}.`);
    }
    return n;
  });
}

/** A positive number (fractions allowed) at most `max`, in `unit` (days, hours, minutes); undefined when unset. */
export function positiveNumber(
  name: string,
  max: number,
  unit: string,
): z.ZodType<number | undefined, string | undefined> {
  return parsedBy((text) => {
    if (text === undefined) return undefined;
    const n = Number(text.trim());
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new Error(`${name} must be ${unit} between 0 and ${max} (got "${text.slice(0, 20)}").`);
    }
    return n;
  });
}

/**
 * An http(s) URL, undefined when unset: a base URL (an API's) loses its trailing slash, so paths
 * join it with one; an endpoint posted to as it is (`{ endpoint: true }`) is kept as written.
 */
export function httpUrl(
  name: string,
  opts: { endpoint?: boolean } = {},
): z.ZodType<string | undefined, string | undefined> {
  return parsedBy((text) => {
    if (text === undefined) return undefined;
    let url: URL | null = null;
    try {
      url = new URL(text.trim());
    } catch {
      url = null;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
      // Not quoted: a URL may carry a credential (user:password@, a webhook's signed query), and
      // the Worker answers its configuration problems to whoever calls.
      throw new Error(`${name} is not an http(s) URL (e.g. https://host.example/path).`);
    }
    return opts.endpoint ? text.trim() : text.trim().replace(/\/+$/, "");
  });
}

/** Comma-separated ids, trimmed, empty ones dropped. */
export function commaList(): z.ZodType<string[], string | undefined> {
  return parsedBy((text) =>
    (text ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/**
 * How a value is shown by `clawops config`: a secret as whether it is set and its length (with
 * a Slack token's kind, `xoxb-`, `xapp-`, which says which token it is and nothing of it).
 */
export function shownValue(spec: VarSpec, text: string | undefined): string {
  if (text === undefined) return spec.default ?? spec.machineDefault?.() ?? "";
  if (!spec.secret) return text;
  const kind = /^(xox[a-z]-|xapp-)/.exec(text)?.[1] ?? "";
  return `${kind}•••• (${text.length} characters)`;
}
