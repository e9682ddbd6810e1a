import { resolve } from "node:path";
import { messageToText, mrkdwnToText, type TextStyle } from "../../adapters/console/text.ts";
import { generateApprovalKey } from "../../contract/approval.ts";
import { readConsoleSecret } from "../console/secret.ts";
import { type CliRequest, EXIT } from "./args.mjs";
import { ConsoleClient, ConsoleClientError } from "./console-client.ts";
import { type FollowView, followJob } from "./follow-job.ts";

interface Io {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * What the CLI's entry (main.mjs) hands over once a command needs more than one reply or runs
 * here: `config`, `approval-key`, `backup` and `--json` run here from the start; after a command's ack,
 * following its job, its fleet matrix or its upgrade summary.
 */
export async function runLocal(request: CliRequest, io: Io): Promise<number> {
  if (request.config) {
    const { showConfig } = await import("../config/show.ts");
    return showConfig(io.env, { ...request.config, json: !!request.json }, (t) => io.stdout.write(t));
  }
  if (request.approvalKey) {
    // Only the private JWK goes to stdout, so it can be piped into `wrangler secret put`.
    const { pair, privateJwk } = await generateApprovalKey();
    io.stdout.write(`${JSON.stringify(privateJwk)}\n`);
    io.stderr.write(
      `clawops: new approval key (public part ${pair.publicKey}); agents pin it when they enroll, so enroll them after setting it.\n`,
    );
    return EXIT.ok;
  }
  if (request.backup) {
    const { backupDatabase, BackupError } = await import("../database-backup.ts");
    try {
      const b = await backupDatabase(resolve(request.env.CLAWOPS_DATA_DIR ?? "data"), request.backup);
      io.stdout.write(`clawops: backed up the database to ${b.file} (${b.bytes} bytes, ${b.method})\n`);
      return EXIT.ok;
    } catch (err) {
      if (!(err instanceof BackupError)) throw err;
      io.stderr.write(`clawops: ${err.message}\n`);
      return EXIT.notRun;
    }
  }
  if (request.postmortemMd) {
    const id = request.postmortemMd;
    return guarded(io, async () => {
      io.stdout.write((await clientFor(request).postmortem(id)).markdown);
      return EXIT.ok;
    });
  }
  return guarded(io, () => printJson(clientFor(request), request, io));
}

/** After the ack main.mjs printed: the rest of the answer, and the exit code it gives. */
export async function follow(
  request: CliRequest,
  reply: { jobId: string | null; headSeq: number },
  io: Io,
): Promise<number> {
  const tty = !!io.stdout.isTTY;
  const style: TextStyle = { ansi: tty && !request.env.NO_COLOR };
  const client = clientFor(request);
  return guarded(io, async () => {
    if (/^status\s+\S/.test(request.text))
      return await followPosted(client, reply.headSeq, request.timeoutMs, io, style, FLEET_MATRIX);
    if (request.text === "expiries")
      return await followPosted(client, reply.headSeq, request.timeoutMs, io, style, EXPIRY_CALENDAR);
    if (/^upgrade .* --dry-run$/.test(request.text))
      return await followPosted(client, reply.headSeq, request.timeoutMs, io, style, UPGRADE_PLAN);
    if (request.text.startsWith("upgrade-agent "))
      return await followSummary(client, reply.headSeq, request.timeoutMs, io, style, "Agent upgrade to ");
    if (!reply.jobId) return EXIT.ok;

    const view = terminalView(io.stdout, style, tty);
    const outcome = await followJob(client, reply.jobId, reply.headSeq, view, { timeoutMs: request.timeoutMs });
    view.settle();
    if (outcome.kind === "gave-up") {
      io.stderr.write(
        `clawops: stopped following job ${reply.jobId} after ${request.timeoutMs / 1000} s (status: ${outcome.job?.status ?? "unknown"}); it may still finish, see ${request.server}/console\n`,
      );
      return EXIT.notRun;
    }
    if (outcome.kind === "ended") {
      const detail = outcome.job.detail ? `: ${outcome.job.detail}` : "";
      const what = request.text.startsWith("bundle ") ? "bundle" : "triage";
      io.stderr.write(`clawops: ${what} of ${outcome.job.host} did not complete (${outcome.job.status})${detail}\n`);
      return EXIT.notRun;
    }
    // A bundle that finished is a success whatever the gateway's health.
    if (request.text.startsWith("bundle ")) return EXIT.ok;
    return outcome.job.failingLayers.length > 0 ? EXIT.failing : EXIT.ok;
  });
}

function clientFor(request: CliRequest): ConsoleClient {
  return new ConsoleClient(request.server, readConsoleSecret(resolve(request.env.CLAWOPS_DATA_DIR ?? "data")));
}

async function guarded(io: Io, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof ConsoleClientError)) throw err;
    io.stderr.write(`clawops: ${err.message}\n`);
    return EXIT.usage;
  }
}

/** One message of the console's feed, as the CLI reads it. */
type PostedEvent = Awaited<ReturnType<ConsoleClient["messagesSince"]>>[number];

/**
 * Waits for the one top-level message a command posts (the fleet matrix, the expiry calendar)
 * and prints it; `failing` judges it for the exit code (1 when true).
 */
async function followPosted(
  client: ConsoleClient,
  since: number,
  timeoutMs: number,
  io: Io,
  style: TextStyle,
  posted: { prefix: string; what: string; failing: (m: PostedEvent) => boolean },
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const events = await client.messagesSince(since);
    const found = events.find((e) => !e.threadTs && e.text.startsWith(posted.prefix));
    if (found) {
      io.stdout.write(`\n${messageToText(found.message, style)}\n`);
      return posted.failing(found) ? EXIT.failing : EXIT.ok;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  io.stderr.write(`clawops: no ${posted.what} after ${timeoutMs / 1000} s\n`);
  return EXIT.notRun;
}

/** The fleet matrix: exit 1 when any host failed, did not answer or is offline. */
const FLEET_MATRIX = {
  prefix: "Fleet status",
  what: "fleet matrix",
  failing: (m: { text: string }) => /[1-9]\d* (fail|no answer|offline)\b/.test(m.text),
};

/** The expiry calendar: exit 1 when something expires within 14 days (or has), a reading failed or a grant is refused (⚠️). */
const EXPIRY_CALENDAR = {
  prefix: "Expiry calendar",
  what: "expiry calendar",
  failing: (m: PostedEvent) =>
    /: [1-9]\d* within \d+ days/.test(m.text) || m.message.parts.some((p) => "text" in p && p.text.startsWith("⚠️")),
};

/** The upgrade plan (dry run): exit 1 when a host is blocked. */
const UPGRADE_PLAN = {
  prefix: "Upgrade plan",
  what: "upgrade plan",
  failing: (m: PostedEvent) => /, [1-9]\d* blocked,/.test(m.text),
};

/**
 * Waits for the summary an upgrade posts (a top-level message, after every host's line in the
 * plan's thread) and prints it. Exit 1 when a host was not upgraded.
 */
async function followSummary(
  client: ConsoleClient,
  since: number,
  timeoutMs: number,
  io: Io,
  style: TextStyle,
  prefix: string,
): Promise<number> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const events = await client.messagesSince(since);
    const done = events.find((e) => !e.threadTs && e.text.includes(prefix) && e.text.includes(" finished: "));
    if (done) {
      io.stdout.write(`\n${messageToText(done.message, style)}\n`);
      return /rolled back|failed|offline|not tried/.test(done.text.split("\n")[0] ?? "") ? EXIT.failing : EXIT.ok;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  io.stderr.write(`clawops: no upgrade summary after ${timeoutMs / 1000} s\n`);
  return EXIT.notRun;
}

/**
 * `--json`: one JSON document on stdout for scripts, with the exit codes the text form has.
 * Its shape is the contract: fields are only ever added.
 */
async function printJson(client: ConsoleClient, request: CliRequest, io: Io): Promise<number> {
  const out = (doc: unknown) => io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  switch (request.json) {
    case "hosts":
      out({ hosts: await client.hosts() });
      return EXIT.ok;
    case "incidents":
      out({ incidents: await client.incidents(request.text.endsWith(" all") ? "all" : "open") });
      return EXIT.ok;
    case "expiries": {
      const calendar = await client.expiries();
      out(calendar);
      // As the text form: 1 when something expires within 14 days (or has), a reading failed or a grant is refused.
      return calendar.entries.some((e) => e.soon) || calendar.problems.length > 0 || calendar.failingGrants.length > 0
        ? EXIT.failing
        : EXIT.ok;
    }
    case "incident":
      out(await client.incident(request.text.split(" ")[1] ?? ""));
      return EXIT.ok;
    case "signals":
      out(await client.signals(request.text.split(" ")[1] ?? ""));
      return EXIT.ok;
    case "report":
      out(await client.report(request.text.split(" ")[1]));
      return EXIT.ok;
    case "audit": {
      const lines = (await client.auditJsonLines(request.export?.host ?? request.auditHost)).split("\n");
      out({ entries: lines.filter(Boolean).map((l) => JSON.parse(l) as unknown) });
      return EXIT.ok;
    }
    case "status": {
      const report = await client.fleet(request.text.replace(/^status\s+/, ""));
      out(report);
      const bad =
        (report.counts.fail ?? 0) +
        (report.counts["no-answer"] ?? 0) +
        (report.counts.offline ?? 0) +
        (report.counts.stale ?? 0);
      return bad > 0 ? EXIT.failing : EXIT.ok;
    }
    case "triage": {
      const reply = await client.command(request.text);
      if (reply.error || !reply.jobId) {
        out({ jobId: null, status: "refused", error: reply.error ?? { code: "no_job", message: reply.ack.text } });
        return EXIT.notRun;
      }
      const quiet: FollowView = { message() {}, progress() {}, progressDone() {} };
      const outcome = await followJob(client, reply.jobId, reply.headSeq, quiet, { timeoutMs: request.timeoutMs });
      const job = outcome.job ?? (await client.job(reply.jobId));
      out({
        jobId: job.id,
        host: job.host,
        status: job.status,
        detail: job.detail,
        failingLayers: job.failingLayers,
        matrix: job.matrix ?? null,
        findings: job.findingTitles ?? job.findings.map((id) => ({ id })),
      });
      if (outcome.kind === "gave-up") {
        io.stderr.write(
          `clawops: stopped following job ${reply.jobId} after ${request.timeoutMs / 1000} s (status: ${job.status}); it may still finish\n`,
        );
        return EXIT.notRun;
      }
      if (outcome.kind === "ended") return EXIT.notRun;
      return job.failingLayers.length > 0 ? EXIT.failing : EXIT.ok;
    }
    default:
      return EXIT.usage;
  }
}

/**
 * On a terminal the progress message is one line rewritten in place; in a pipe or log
 * every change is a line of its own, so the record shows how the probes came in.
 */
function terminalView(out: NodeJS.WriteStream, style: TextStyle, tty: boolean): FollowView & { settle(): void } {
  let live = false;
  let lastLine = "";
  const clear = () => {
    if (live) out.write("\r\x1b[2K");
    live = false;
  };
  return {
    message(e) {
      clear();
      out.write(`\n${messageToText(e.message, style)}\n`);
    },
    progressDone(e) {
      clear();
      // In a log the summary line is already the last line written; print only the steps.
      const [first, ...rest] = e.message.parts;
      const repeat = !tty && first && mrkdwnToText(e.text).split("\n")[0] === lastLine;
      // A one-part message whose line is already written (a bundle's "stored") is not written again.
      if (repeat && rest.length === 0) return;
      out.write(`${tty ? "\n" : ""}${messageToText(e.message, style, repeat ? rest : e.message.parts)}\n`);
    },
    progress(e) {
      const line = mrkdwnToText(e.text).split("\n")[0] ?? "";
      if (line === lastLine) return;
      lastLine = line;
      if (tty) {
        const width = Math.max(20, (out.columns || 80) - 1);
        out.write(`\r\x1b[2K${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
        live = true;
      } else out.write(`${line}\n`);
    },
    settle: clear,
  };
}
