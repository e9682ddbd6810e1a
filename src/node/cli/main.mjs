// @ts-check
/**
 * The `clawops` CLI entry: `bin/clawops …` (the docs' form), `npm run clawops -- …`, `node src/node/cli/main.mjs …`.
 *
 * It loads what a command needs when it needs it. argv, `--version`, `--help`, and every command
 * the control plane answers in one reply (hosts, freezes, audit, enroll, login, …) run on Node's
 * own modules: the control plane renders the answer as terminal text (`render`), so nothing of
 * the message model, zod or TypeScript is loaded. Following a job (triage, bundle), a fleet
 * matrix or an upgrade, `--json`, `config`, `approval-key` and `backup` load the rest (run.ts).
 */
import { resolve } from "node:path";
import { readConsoleSecret } from "../console/secret-file.mjs";
import { cliVersion, EXIT, parseCli, UsageError, usage } from "./args.mjs";
import { request as httpRequest } from "./http10.mjs";

/** @typedef {import("./args.mjs").CliRequest} CliRequest */
/**
 * @typedef {object} Io
 * @property {NodeJS.WriteStream} stdout
 * @property {NodeJS.WriteStream} stderr
 * @property {Readonly<Record<string, string | undefined>>} env
 */

/** A console-API or operator-API failure, said as the CLI says it (exit 3). */
export class ClientError extends Error {}

/**
 * @param {string[]} argv
 * @param {Io} io
 * @returns {Promise<number>}
 */
async function runCli(argv, io) {
  /** @type {CliRequest} */
  let request;
  try {
    request = parseCli(argv, io.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`clawops: ${err.message}\nRun \`clawops help\` for usage.\n`);
    return EXIT.usage;
  }
  if (request.help) {
    io.stdout.write(usage(request.env));
    return EXIT.ok;
  }
  if (request.version) {
    io.stdout.write(`clawops ${cliVersion()}\n`);
    return EXIT.ok;
  }
  if (request.config || request.approvalKey || request.backup || request.postmortemMd || request.json)
    return (await import("./run.ts")).runLocal(request, io);
  const ansi = !!io.stdout.isTTY && !request.env.NO_COLOR;
  const api = consoleApi(request);
  try {
    if (request.login) {
      const { url } = await api.post("/api/console/login", {});
      io.stdout.write(`${url}\n`);
      return EXIT.ok;
    }
    if (request.export) {
      io.stdout.write(await api.text(`/api/console/audit.jsonl${query({ host: request.export.host })}`));
      return EXIT.ok;
    }
    const admin = request.env.CLAWOPS_ADMIN_TOKEN?.trim();
    if (request.command === "enroll" && admin) {
      const host = request.text.slice("enroll ".length);
      const offer = await api.post("/api/admin/enrollment-codes", { host, render: ansi ? "ansi" : "plain" }, admin);
      io.stdout.write(`${stringField(offer, "terminal")}\n`);
      return EXIT.ok;
    }
    // A command whose answer goes on after the ack loads the follower while the command is sent,
    // so it follows the thread live from the first progress edit.
    const follower = FOLLOWED.test(request.text) ? import("./run.ts") : null;
    const reply = await api.post("/api/console/command", { text: request.text, render: ansi ? "ansi" : "plain" });
    io.stdout.write(`${stringField(reply.ack, "terminal")}\n`);
    if (reply.error) return EXIT.notRun;
    if (!needsFollowing(request.text, reply)) return EXIT.ok;
    const { follow } = await (follower ?? import("./run.ts"));
    return follow(request, { jobId: reply.jobId ?? null, headSeq: reply.headSeq }, io);
  } catch (err) {
    if (!(err instanceof ClientError)) throw err;
    io.stderr.write(`clawops: ${err.message}\n`);
    return EXIT.usage;
  }
}

/** Commands that start a job or post more after their ack. */
const FOLLOWED = /^(triage|bundle|upgrade-agent|upgrade\s|status\s+\S|expiries$)/;

/**
 * Whether the answer goes on after the ack: a job's thread (triage, bundle), the fleet matrix a
 * `status <selector>` posts, an upgrade's summary, the expiry calendar.
 * @param {string} text
 * @param {Record<string, any>} reply
 */
function needsFollowing(text, reply) {
  return (
    /^status\s+\S/.test(text) ||
    text.startsWith("upgrade-agent ") ||
    /^upgrade .* --dry-run$/.test(text) ||
    text === "expiries" ||
    typeof reply.jobId === "string"
  );
}

/**
 * @param {Record<string, any>} body
 * @param {string} name
 */
function stringField(body, name) {
  const value = body?.[name];
  if (typeof value !== "string") throw new ClientError(`unexpected answer: no "${name}" in it`);
  return value;
}

/** @param {Record<string, string | undefined>} params */
function query(params) {
  const set = Object.entries(params).filter(([, v]) => v !== undefined);
  return set.length === 0 ? "" : `?${new URLSearchParams(/** @type {[string, string][]} */ (set))}`;
}

/**
 * The console API (bearer: the console secret in the data folder) and the operator API (bearer:
 * CLAWOPS_ADMIN_TOKEN), checked at the edge by hand: each answer is read for the few fields used.
 * @param {CliRequest} request
 */
function consoleApi(request) {
  const { server, serverFrom } = request;
  const dataDir = resolve(request.env.CLAWOPS_DATA_DIR ?? "data");
  const secret = readConsoleSecret(dataDir);
  /**
   * @param {string} path
   * @param {{ method?: string; headers?: Record<string, string>; body?: string }} init
   * @param {string} [bearer]
   * @returns {Promise<import("./http10.mjs").Answer>}
   */
  const send = async (path, init, bearer) => {
    const token = bearer ?? secret;
    const headers = { ...init.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) };
    /** @type {import("./http10.mjs").Answer} */
    let res;
    try {
      res = await httpRequest(server + path, { ...init, headers });
    } catch (err) {
      const why = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      throw new ClientError(
        `cannot reach clawops at ${server} (${why}; the URL came from ${serverFrom}). Is the control plane running there? Point the CLI at it with --server <url> or CLAWOPS_URL; it also reads CLAWOPS_PORT.`,
      );
    }
    if (res.status === 401 && path.startsWith("/api/console/"))
      throw new ClientError(
        secret
          ? `clawops at ${server} refused the console secret: is it the clawops whose data folder this is (${dataDir}, $CLAWOPS_DATA_DIR)?`
          : `clawops at ${server} needs the console secret: run the CLI where clawops keeps its data folder, or set CLAWOPS_DATA_DIR to it (now ${dataDir}).`,
      );
    if (res.status === 404 && path.startsWith("/api/console/"))
      throw new ClientError(
        request.command === "enroll"
          ? `clawops at ${server} does not serve the local console (Slack is configured): set CLAWOPS_ADMIN_TOKEN to the control plane's (or pass --env-file with its env file) to enroll through the operator API.`
          : `clawops at ${server} does not serve the local console (Slack is configured): restart it with CLAWOPS_CONSOLE=1.`,
      );
    return res;
  };
  /**
   * @param {import("./http10.mjs").Answer} res
   * @returns {Record<string, any>}
   */
  const json = (res) => {
    /** @type {any} */
    let body = null;
    try {
      body = JSON.parse(res.text);
    } catch {}
    if (body?.ok === false && typeof body.error?.message === "string")
      throw new ClientError(`${body.error.message} (${body.error.code}, HTTP ${res.status})`);
    if (body?.ok !== true) throw new ClientError(`unexpected answer from ${server} (HTTP ${res.status})`);
    return body;
  };
  return {
    /**
     * @param {string} path
     * @param {unknown} body
     * @param {string} [bearer]
     */
    post: async (path, body, bearer) =>
      json(
        await send(
          path,
          { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
          bearer,
        ),
      ),
    /** @param {string} path */
    text: async (path) => {
      const res = await send(path, {});
      if (res.status !== 200) throw new ClientError(`${path} failed: HTTP ${res.status}`);
      return res.text;
    },
  };
}

runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(
      `clawops: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = EXIT.usage;
  },
);
