import { z } from "zod";

/**
 * The platform-neutral message: what core builds, and what each surface renders (Slack Block
 * Kit: src/adapters/slack/render.ts; the console page's HTML: src/adapters/console/html.ts; the
 * terminal: src/adapters/console/text.ts). Modelled on Botkube's `api.Message`.
 *
 * Rich text (sections, context items, a confirm dialog's text) is Slack's mrkdwn subset as
 * clawops writes it: *bold*, `code`, ```code blocks```, <@U…> mentions, and &amp; &lt; &gt;
 * for the three characters that are markup. Every surface reads that one syntax, so a message
 * reads the same everywhere. Plain-text fields (a header, a button label, a matrix row, a
 * finding) hold text as it is; renderers escape it for their surface.
 *
 * A schema, not just a type: the message crosses process boundaries (the console's JSON API
 * to the `clawops` CLI, the console's SQLite log).
 */

const Header = z.object({ kind: z.literal("header"), text: z.string() });
const Section = z.object({ kind: z.literal("section"), text: z.string() });
/** Small print under a message: up to 10 items, shown side by side. */
const Context = z.object({ kind: z.literal("context"), items: z.array(z.string()) });
const Divider = z.object({ kind: z.literal("divider") });

export const LayerStatusSchema = z.enum(["ok", "warn", "fail", "unknown"]);

/** A triage's health by layer: one row per layer, in the catalog's order. */
const HealthMatrix = z.object({
  kind: z.literal("matrix"),
  title: z.string(),
  rows: z.array(z.object({ label: z.string(), status: LayerStatusSchema, reason: z.string() })),
});

/** One finding of a triage, most likely root cause first (`rank` 1). */
const FindingPart = z.object({
  kind: z.literal("finding"),
  rank: z.number().int(),
  id: z.string(),
  title: z.string(),
  severity: z.enum(["fail", "warn"]),
  layer: z.string(),
  confidence: z.string(),
  explanation: z.string(),
  evidence: z.array(z.string()),
  nextCommands: z.array(z.string()),
  /** The id of a finding above with the same evidence (this one is likely its consequence). */
  explainedBy: z.string().optional(),
  wouldConfirm: z.string().optional(),
  wouldRuleOut: z.string().optional(),
  /** The check that stays green while this layer is broken. */
  falseGreen: z.string().optional(),
  /** Upstream issues the finding matches (core/known-issues): what it is, its link, the workaround. */
  knownIssues: z
    .array(z.object({ headline: z.string(), links: z.array(z.string()), workaround: z.string() }))
    .optional(),
});

export const ButtonSchema = z.object({
  /** What a press reports back (Slack's action_id; the console maps it to a decision). */
  actionId: z.string(),
  label: z.string(),
  value: z.string(),
  style: z.enum(["primary", "danger"]).optional(),
  /** A "are you sure?" dialog before the press counts; `text` is rich text. */
  confirm: z.object({ title: z.string(), text: z.string(), confirm: z.string(), deny: z.string() }).optional(),
});

/** A row of buttons; today only the approval request (a confirmation) has one. */
const Actions = z.object({ kind: z.literal("actions"), id: z.string(), buttons: z.array(ButtonSchema) });

export const PartSchema = z.discriminatedUnion("kind", [
  Header,
  Section,
  Context,
  Divider,
  HealthMatrix,
  FindingPart,
  Actions,
]);

export const MessageSchema = z.object({
  /** Notification/fallback text; also what a surface shows for a message without parts. */
  text: z.string(),
  parts: z.array(PartSchema),
});

export type Message = z.infer<typeof MessageSchema>;
export type Part = z.infer<typeof PartSchema>;
export type Button = z.infer<typeof ButtonSchema>;
export type HealthMatrixPart = z.infer<typeof HealthMatrix>;
export type FindingMessagePart = z.infer<typeof FindingPart>;
/** The parts every surface draws directly; a matrix or a finding is drawn as these (lower.ts). */
export type BasicPart = Exclude<Part, HealthMatrixPart | FindingMessagePart>;
