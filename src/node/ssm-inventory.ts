import { readFileSync } from "node:fs";
import { z } from "zod";
import { errorMessage } from "../contract/errors.ts";
import { ClawopsError } from "../core/errors.ts";
import { normalizeHostName } from "../core/vocabulary/hosts.ts";

// ---------------------------------------------------------------------------------------
// Inventory: which clawops host is which SSM managed node.

const InstanceId = z.string().regex(/^(i|mi)-[0-9a-f]{8,17}$/, "an EC2 instance id (i-…) or managed node id (mi-…)");
const RunAs = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name");

export const SsmInventory = z
  .object({
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "an AWS region such as eu-west-1")
      .optional(),
    /** The SSM document from infra/ssm/clawops-probe.json, as created in the account. */
    documentName: z
      .string()
      .regex(/^[a-zA-Z0-9_.:/-]{3,128}$/)
      .default("ClawopsProbe"),
    /** The document's user that runs the probes (the gateway's user); per host below too. */
    runAs: RunAs.optional(),
    hosts: z
      .array(
        z
          .object({
            host: z.string().transform((h, ctx) => {
              try {
                return normalizeHostName(h);
              } catch (err) {
                ctx.addIssue({ code: "custom", message: errorMessage(err) });
                return z.NEVER;
              }
            }),
            instanceId: InstanceId,
            runAs: RunAs.optional(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    for (const [i, h] of inv.hosts.entries()) {
      if (seen.has(h.host))
        ctx.addIssue({ code: "custom", path: ["hosts", i, "host"], message: `duplicate host ${h.host}` });
      seen.add(h.host);
    }
  });
export type SsmInventory = z.infer<typeof SsmInventory>;

/**
 * Reads the inventory from CLAWOPS_SSM_INVENTORY (a JSON file) or CLAWOPS_SSM_INVENTORY_JSON
 * (the JSON itself). Returns null when neither is set.
 */
export function loadSsmInventory(env: Readonly<Record<string, string | undefined>>): SsmInventory | null {
  let raw: string;
  let where: string;
  if (env.CLAWOPS_SSM_INVENTORY) {
    where = env.CLAWOPS_SSM_INVENTORY;
    try {
      raw = readFileSync(where, "utf8");
    } catch (err) {
      throw new ClawopsError(
        "bad_config",
        `Cannot read the SSM inventory ${where} (CLAWOPS_SSM_INVENTORY): ${(err as Error).message}`,
      );
    }
  } else if (env.CLAWOPS_SSM_INVENTORY_JSON) {
    where = "CLAWOPS_SSM_INVENTORY_JSON";
    raw = env.CLAWOPS_SSM_INVENTORY_JSON;
  } else {
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ClawopsError("bad_config", `The SSM inventory in ${where} is not valid JSON.`);
  }
  const parsed = SsmInventory.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
    throw new ClawopsError(
      "bad_config",
      `The SSM inventory in ${where} is invalid${at}: ${issue?.message}. See infra/ssm/inventory.example.json.`,
    );
  }
  return parsed.data;
}
