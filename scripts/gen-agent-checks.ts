/**
 * Writes src/agent/checks.generated.js (and its .d.ts): the agent's validators, generated from the
 * zod schemas that define its wire frames, step results, approval claims and its own files. zod
 * stays the one definition (the control plane and workerd parse with it); the agent checks with
 * this code instead and its bundle carries no zod: zod's library and its ~900 schema objects were
 * ~2 MB of the agent's idle heap, these validators ~0.4 MB (docs/benchmarks.md, "The agent off
 * zod").
 *
 *   node scripts/gen-agent-checks.ts           write both files (npm run gen:agent-checks)
 *   node scripts/gen-agent-checks.ts --check   exit 1 if either is not what it would write
 *
 * How: each schema goes through zod's own JSON Schema export (`z.toJSONSchema`, input side, shared
 * parts as `$defs`), then through ajv's standalone compiler, which writes plain functions with no
 * runtime import. Where the two differ, the agent gets zod's meaning:
 * - a discriminated union is `oneOf` in JSON Schema; it is marked with OpenAPI's `discriminator`,
 *   so ajv picks the branch by its tag as zod does: defaults inside a branch apply (policy.json's
 *   `supervisor`) and an error names the branch's own field, not "must match exactly one schema";
 * - string lengths count code points, as zod's `.min`/`.max` do (ajv's own `ucs2length`, copied
 *   into the file: the generated code has no imports);
 * - `default`s are filled in (ajv's `useDefaults`), as zod's parse does.
 * One difference stays, on purpose: zod drops keys an object does not name, generated code lets
 * them through. The agent reads only the keys it names, and the control plane parses what the agent
 * sends with zod, which drops them there. test/unit/agent-checks.test.ts checks both against each
 * other on every recorded frame and on broken variants of them.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";
import {
  AgentConfig,
  AgentPolicy,
  ApprovalPin,
  GatewayFrame,
  HelloOk,
  UsedApprovalsFile,
} from "../src/agent/schemas.ts";
import { HubFrame, JobId } from "../src/contract/agent-wire.ts";
import { ApprovalClaims } from "../src/contract/approval.ts";
import { StepRequest, StepResult } from "../src/contract/catalog.ts";

/**
 * ajv's standalone compiler and the runtime helpers its code may call, by module name. CommonJS,
 * each with its function as `default`: through `require`, so Node and vitest read them alike.
 */
const require = createRequire(import.meta.url);
const standaloneCode = (
  require("ajv/dist/standalone") as { default: (ajv: Ajv2020, refs: Record<string, string>) => string }
).default;
const runtime: Record<string, unknown> = {
  ucs2length: (require("ajv/dist/runtime/ucs2length") as { default: unknown }).default,
};

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CHECKS_FILE = "src/agent/checks.generated.js";
export const CHECKS_TYPES_FILE = "src/agent/checks.generated.d.ts";
export const REGENERATE = "node scripts/gen-agent-checks.ts";

/** Every schema the agent checks a value against, by the name the generated module exports. */
export const AGENT_SCHEMAS = {
  HubFrame,
  JobId,
  StepResult,
  StepRequest,
  ApprovalClaims,
  AgentConfig,
  AgentPolicy,
  ApprovalPin,
  UsedApprovalsFile,
  HelloOk,
  GatewayFrame,
} satisfies Record<string, z.ZodType>;

type Json = null | boolean | number | string | Json[] | JsonObject;
type JsonObject = { [key: string]: Json };

const isObject = (j: Json | undefined): j is JsonObject => typeof j === "object" && j !== null && !Array.isArray(j);

/**
 * Marks each `oneOf` whose branches are all objects that require one common key set to a `const`
 * (what zod writes for `z.discriminatedUnion`) with `discriminator` on that key. Branches may be
 * `$ref`s into `$defs`.
 */
function markDiscriminators(schema: Json, deref: (s: Json) => Json): Json {
  if (Array.isArray(schema)) return schema.map((s) => markDiscriminators(s, deref));
  if (!isObject(schema)) return schema;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(schema)) out[k] = markDiscriminators(v, deref);
  const branches = out.oneOf;
  if (Array.isArray(branches) && branches.length > 1) {
    const resolved = branches.map(deref);
    const tag = commonTag(resolved, deref);
    if (tag) {
      // ajv reads each branch's tag as an inline `const`: zod shares one literal between a step's
      // request and its result, which the export makes a `$ref`.
      out.oneOf = branches.map((b) => {
        if (!isObject(b) || !isObject(b.properties)) return b;
        return { ...b, properties: { ...b.properties, [tag]: deref(b.properties[tag] ?? null) } };
      });
      out.type = "object";
      out.discriminator = { propertyName: tag };
    }
  }
  return out;
}

function commonTag(branches: Json[], deref: (s: Json) => Json): string | undefined {
  const tagsOf = (b: Json): string[] => {
    if (!isObject(b) || b.type !== "object" || !isObject(b.properties)) return [];
    const required = Array.isArray(b.required) ? b.required : [];
    return Object.entries(b.properties)
      .filter(([k, p]) => {
        const property = deref(p);
        return required.includes(k) && isObject(property) && "const" in property;
      })
      .map(([k]) => k);
  };
  const [first = [], ...rest] = branches.map(tagsOf);
  return first.find((k) => rest.every((tags) => tags.includes(k)));
}

/**
 * The JSON Schemas ajv compiles, by name. One registry for all of them, so a schema that is part of
 * another (`StepRequest` in `HubFrame`'s `job.run`) is a `$ref` to its own entry, compiled once.
 */
export function jsonSchemas(): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(AGENT_SCHEMAS)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, { io: "input", reused: "ref", uri: (id) => id }) as unknown as {
    schemas: Record<string, JsonObject>;
  };
  // `$ref`s are `#/$defs/x` (this schema's own) or `__shared#/$defs/x` (the registry's shared parts).
  const derefIn =
    (own: string) =>
    (s: Json): Json => {
      if (!isObject(s) || typeof s.$ref !== "string") return s;
      const [file = "", pointer = ""] = s.$ref.split("#");
      const defs = schemas[file || own]?.$defs as Record<string, Json> | undefined;
      return derefIn(file || own)(defs?.[pointer.replace(/^\/\$defs\//, "")] ?? null);
    };
  const out: Record<string, Json> = {};
  for (const [name, json] of Object.entries(schemas)) {
    const marked = markDiscriminators(json, derefIn(name)) as JsonObject;
    delete marked.$schema;
    delete marked.id;
    out[name] = marked;
  }
  return out;
}

export function renderChecks(): string {
  const ajv = new Ajv2020({
    code: { source: true, esm: true, lines: true, optimize: true },
    discriminator: true,
    useDefaults: true,
    inlineRefs: false,
    strict: true,
    allErrors: false,
    logger: false,
  });
  const names = Object.keys(AGENT_SCHEMAS) as (keyof typeof AGENT_SCHEMAS)[];
  for (const [name, schema] of Object.entries(jsonSchemas())) ajv.addSchema(schema as object, name);
  const code = standaloneCode(ajv, Object.fromEntries(names.map((n) => [n, n])));
  // ajv's code calls a few runtime helpers (ucs2length: a string's length in code points, as zod
  // counts it) through `require`, which an ES module has not: each becomes a copy of its function.
  const helpers = new Map<string, string>();
  const inlined = code.replace(/require\("ajv\/dist\/runtime\/(\w+)"\)\.default/g, (_, name: string) => {
    const fn = runtime[name];
    if (typeof fn !== "function" || /\brequire\(/.test(fn.toString()))
      throw new Error(`generated validators need ajv's runtime ${name}, which cannot be copied in`);
    helpers.set(name, `const ajvRuntime_${name} = ${fn.toString()};`);
    return `ajvRuntime_${name}`;
  });
  if (/\brequire\(/.test(inlined)) throw new Error("generated validators still call require()");
  return [
    `// Generated by \`${REGENERATE}\` from the zod schemas it names. Do not edit.`,
    ...helpers.values(),
    inlined,
    "",
  ].join("\n");
}

/** Its types: one ajv validate function per schema (src/agent/checks.ts gives each its type). */
export function renderCheckTypes(): string {
  return [
    `// Generated by \`${REGENERATE}\`. Do not edit.`,
    "export interface Validate {",
    "  (data: unknown): boolean;",
    "  errors?: readonly { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }[] | null;",
    "}",
    ...Object.keys(AGENT_SCHEMAS).map((name) => `export declare const ${name}: Validate;`),
    "",
  ].join("\n");
}

function main(): void {
  const files = [
    { file: CHECKS_FILE, want: renderChecks() },
    { file: CHECKS_TYPES_FILE, want: renderCheckTypes() },
  ];
  const check = process.argv.includes("--check");
  for (const { file, want } of files) {
    const path = resolve(root, file);
    if (check) {
      let have = "";
      try {
        have = readFileSync(path, "utf8");
      } catch {}
      if (have !== want) {
        console.error(`${file} is out of date: run \`${REGENERATE}\``);
        process.exitCode = 1;
      }
      continue;
    }
    writeFileSync(path, want);
    console.log(`wrote ${file} (${want.length} bytes)`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
