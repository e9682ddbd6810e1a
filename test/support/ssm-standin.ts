import { spawn } from "node:child_process";
import { createHash, createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SignatureV4 } from "@smithy/signature-v4";

/**
 * A local stand-in for the AWS Systems Manager API, spoken the way the real one is: the AWS
 * JSON 1.1 protocol (POST /, `X-Amz-Target: AmazonSSM.<Operation>`, Content-Type
 * `application/x-amz-json-1.1`), every request's SigV4 signature recomputed from the request
 * with @smithy/signature-v4 and refused with AWS's own error shape when it does not match.
 *
 * It plays the SSM agent too: SendCommand of the clawops document checks the parameters
 * against the document's allowedPattern, substitutes them into the document's runCommand
 * lines and runs that script (the real agent one-shot, as a real process); GetCommandInvocation
 * reports Pending → InProgress → a terminal status, with stdout cut at 24,000 characters and
 * stderr at 8,000, as SSM does. Per-instance behaviours simulate what cannot happen locally
 * (an undeliverable node, a delivery timeout, a cancellation).
 *
 * API shapes: https://docs.aws.amazon.com/systems-manager/latest/APIReference/ (SendCommand,
 * GetCommandInvocation, GetParameter, GetParameters); errors:
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html
 */
export const DOCUMENT_PATH = fileURLToPath(new URL("../../infra/ssm/clawops-probe.json", import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export type InstanceBehaviour =
  | { kind: "run"; env: Record<string, string> }
  | { kind: "undeliverable" }
  | { kind: "delivery-timeout" }
  | { kind: "cancel" };

interface Invocation {
  commandId: string;
  instanceId: string;
  documentName: string;
  status: string;
  statusDetails: string;
  responseCode: number;
  stdout: string;
  stderr: string;
  /** GetCommandInvocation calls answered so far (InvocationDoesNotExist ones included). */
  polls: number;
  pollTimes: number[];
  parameters: Record<string, string>;
  done: Promise<void>;
}

interface Parameter {
  type: "String" | "SecureString";
  value: string;
}

function toBytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(toBytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
}

export interface SsmStandInOptions {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** SSM keeps the first 24,000 characters of stdout. */
  stdoutLimit?: number;
  /** GetCommandInvocation answers InvocationDoesNotExist this many times after a send. */
  invisiblePolls?: number;
  /** Then answers ThrottlingException (HTTP 400, as AWS JSON services do) this many times. */
  throttledPolls?: number;
}

export class SsmStandIn {
  readonly invocations: Invocation[] = [];
  /** Every request that reached an operation (its signature held). */
  readonly calls: { target: string; body: Record<string, unknown> }[] = [];
  /** Requests refused for their signature or credentials. */
  readonly refused: { target: string; type: string }[] = [];
  readonly instances = new Map<string, InstanceBehaviour>();
  readonly parameters = new Map<string, Parameter>();
  readonly documentName: string;
  url = "";
  private server: Server | null = null;
  private readonly document: {
    parameters: Record<string, { allowedPattern?: string; default?: string }>;
    mainSteps: { name: string; inputs: { runCommand: string[]; timeoutSeconds?: string } }[];
  };
  private readonly opts: Required<SsmStandInOptions>;
  private readonly workDir = mkdtempSync(join(tmpdir(), "clawops-ssm-standin-"));
  private readonly children = new Set<ReturnType<typeof spawn>>();

  constructor(opts: SsmStandInOptions & { documentName?: string }) {
    this.opts = { stdoutLimit: 24_000, invisiblePolls: 1, throttledPolls: 0, ...opts };
    this.documentName = opts.documentName ?? "ClawopsProbe";
    this.document = JSON.parse(readFileSync(DOCUMENT_PATH, "utf8"));
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const child of this.children) child.kill("SIGKILL");
    await Promise.allSettled(this.invocations.map((i) => i.done));
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    rmSync(this.workDir, { recursive: true, force: true });
  }

  setSecureString(name: string, value: string): void {
    this.parameters.set(name, { type: "SecureString", value });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const target = String(req.headers["x-amz-target"] ?? "");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": randomUUID() });
      res.end(JSON.stringify(body));
    };
    const fail = (status: number, type: string, message: string) => send(status, { __type: type, message });

    if (req.method !== "POST" || req.url !== "/") return fail(404, "UnknownOperationException", "POST / only");
    if (req.headers["content-type"] !== "application/x-amz-json-1.1") {
      return fail(400, "SerializationException", `unexpected content-type ${req.headers["content-type"]}`);
    }
    const auth = await this.verifySignature(req, raw);
    if (auth) {
      this.refused.push({ target, type: auth.type });
      return fail(auth.status, auth.type, auth.message);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw || "{}");
    } catch {
      return fail(400, "SerializationException", "body is not JSON");
    }
    this.calls.push({ target, body });
    const op = target.replace(/^AmazonSSM\./, "");
    try {
      switch (op) {
        case "SendCommand":
          return send(200, this.sendCommand(body));
        case "GetCommandInvocation":
          return send(200, this.getCommandInvocation(body));
        case "ListCommandInvocations":
          return send(200, this.listCommandInvocations(body));
        case "GetParameter":
          return send(200, { Parameter: this.getParameter(String(body.Name), body.WithDecryption === true) });
        case "GetParameters": {
          const names = (body.Names as string[]) ?? [];
          const found = names.filter((n) => this.parameters.has(n));
          return send(200, {
            Parameters: found.map((n) => this.getParameter(n, body.WithDecryption === true)),
            InvalidParameters: names.filter((n) => !this.parameters.has(n)),
          });
        }
        default:
          return fail(400, "UnknownOperationException", `unknown operation ${target}`);
      }
    } catch (err) {
      if (err instanceof AwsError) return fail(400, err.type, err.message);
      throw err;
    }
  }

  /** Recomputes the SigV4 signature from the request as received; null when it holds. */
  private async verifySignature(
    req: IncomingMessage,
    body: string,
  ): Promise<{ status: number; type: string; message: string } | null> {
    const header = String(req.headers.authorization ?? "");
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        header,
      );
    if (!m)
      return { status: 400, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
    const [, keyId, , region, service, signedHeaders = ""] = m;
    if (keyId !== this.opts.accessKeyId) {
      return {
        status: 400,
        type: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.",
      };
    }
    if (region !== this.opts.region || service !== "ssm") {
      return {
        status: 400,
        type: "InvalidSignatureException",
        message: `Credential should be scoped to a valid region and service ssm.`,
      };
    }
    const amzDate = String(req.headers["x-amz-date"] ?? "");
    const dm = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!dm)
      return { status: 400, type: "IncompleteSignatureException", message: "X-Amz-Date is missing or malformed" };
    const [y, mo, d, h, mi, se] = dm.slice(1).map(Number) as [number, number, number, number, number, number];
    const signingDate = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
    if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) {
      return { status: 400, type: "InvalidSignatureException", message: "Signature expired" };
    }
    const headers: Record<string, string> = {};
    for (const name of signedHeaders.split(";")) {
      const v = req.headers[name];
      if (v === undefined)
        return { status: 400, type: "InvalidSignatureException", message: `signed header ${name} missing` };
      headers[name] = Array.isArray(v) ? v.join(",") : v;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const signer = new SignatureV4({
      credentials: { accessKeyId: this.opts.accessKeyId, secretAccessKey: this.opts.secretAccessKey },
      region: this.opts.region,
      service: "ssm",
      sha256: Sha256,
    });
    const signed = await signer.sign(
      {
        method: req.method ?? "POST",
        protocol: "http:",
        hostname: String(req.headers.host ?? "").replace(/:\d+$/, ""),
        port: Number(String(req.headers.host ?? "").split(":")[1]) || undefined,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body,
      },
      { signingDate, unsignableHeaders: new Set(), signableHeaders: new Set(signedHeaders.split(";")) },
    );
    if (signed.headers.authorization !== header && signed.headers.Authorization !== header) {
      return {
        status: 400,
        type: "InvalidSignatureException",
        message:
          "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      };
    }
    return null;
  }

  private sendCommand(body: Record<string, unknown>) {
    if (body.DocumentName !== this.documentName) {
      throw new AwsError("InvalidDocument", `Document with name ${String(body.DocumentName)} does not exist.`);
    }
    const ids = (body.InstanceIds as string[] | undefined) ?? [];
    if (ids.length === 0) throw new AwsError("ValidationException", "InstanceIds or Targets must be given");
    for (const id of ids) {
      if (!this.instances.has(id))
        throw new AwsError("InvalidInstanceId", `Instances [[${id}]] not in a valid state for account 123456789012`);
    }
    const given = (body.Parameters as Record<string, string[]>) ?? {};
    const params: Record<string, string> = {};
    for (const [name, def] of Object.entries(this.document.parameters)) {
      const value = given[name]?.[0] ?? def.default;
      if (value === undefined) throw new AwsError("InvalidParameters", `Parameter "${name}" is required.`);
      if (def.allowedPattern && !new RegExp(def.allowedPattern).test(value)) {
        throw new AwsError(
          "InvalidParameters",
          `Parameter "${name}" "${value}" failed to satisfy constraint: Member must satisfy regular expression pattern: ${def.allowedPattern}`,
        );
      }
      params[name] = value;
    }
    for (const name of Object.keys(given)) {
      if (!(name in this.document.parameters))
        throw new AwsError("InvalidParameters", `Parameter "${name}" is not defined in the document.`);
    }
    const commandId = randomUUID();
    for (const instanceId of ids) {
      const inv: Invocation = {
        commandId,
        instanceId,
        documentName: this.documentName,
        status: "Pending",
        statusDetails: "Pending",
        responseCode: -1,
        stdout: "",
        stderr: "",
        polls: 0,
        pollTimes: [],
        parameters: params,
        done: Promise.resolve(),
      };
      inv.done = this.execute(inv, this.instances.get(instanceId) as InstanceBehaviour);
      this.invocations.push(inv);
    }
    return {
      Command: {
        CommandId: commandId,
        DocumentName: this.documentName,
        InstanceIds: ids,
        Parameters: given,
        Status: "Pending",
        TimeoutSeconds: body.TimeoutSeconds ?? 3600,
        RequestedDateTime: Date.now() / 1000,
      },
    };
  }

  private async execute(inv: Invocation, behaviour: InstanceBehaviour): Promise<void> {
    const tick = () => new Promise((r) => setTimeout(r, 50));
    await tick();
    switch (behaviour.kind) {
      case "undeliverable":
        return this.finish(inv, "Failed", "Undeliverable", -1);
      case "delivery-timeout":
        inv.status = "Delayed";
        inv.statusDetails = "Delayed";
        await tick();
        await tick();
        return this.finish(inv, "TimedOut", "DeliveryTimedOut", -1);
      case "cancel":
        inv.status = "InProgress";
        inv.statusDetails = "InProgress";
        await tick();
        inv.status = "Cancelling";
        inv.statusDetails = "Cancelling";
        await tick();
        return this.finish(inv, "Cancelled", "Cancelled", -1);
      case "run":
        return this.runDocument(inv, behaviour.env);
    }
  }

  /** Substitutes the parameters into the document's script and runs it, as the SSM agent does. */
  private async runDocument(inv: Invocation, env: Record<string, string>): Promise<void> {
    inv.status = "InProgress";
    inv.statusDetails = "InProgress";
    const step = this.document.mainSteps[0];
    if (!step) throw new Error("document has no steps");
    const sub = (s: string) => s.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => inv.parameters[name] ?? "");
    const script = join(this.workDir, `${inv.commandId}.sh`);
    writeFileSync(script, step.inputs.runCommand.map(sub).join("\n"), { mode: 0o700 });
    const timeoutS = Number(sub(step.inputs.timeoutSeconds ?? "3600"));
    const child = spawn("/bin/sh", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
    this.children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutS * 1000);
    const code = await new Promise<number>((resolve) => child.once("close", (c) => resolve(c ?? -1)));
    clearTimeout(timer);
    this.children.delete(child);
    inv.stdout = stdout.slice(0, this.opts.stdoutLimit);
    inv.stderr = stderr.slice(0, 8_000);
    if (timedOut) return this.finish(inv, "TimedOut", "ExecutionTimedOut", -1);
    return this.finish(inv, code === 0 ? "Success" : "Failed", code === 0 ? "Success" : "Failed", code);
  }

  private finish(inv: Invocation, status: string, details: string, code: number): void {
    inv.status = status;
    inv.statusDetails = details;
    inv.responseCode = code;
  }

  private findInvocation(body: Record<string, unknown>): Invocation {
    const inv = this.invocations.find((i) => i.commandId === body.CommandId && i.instanceId === body.InstanceId);
    if (!inv) throw new AwsError("InvocationDoesNotExist", "");
    return inv;
  }

  private getCommandInvocation(body: Record<string, unknown>) {
    const inv = this.findInvocation(body);
    inv.polls++;
    inv.pollTimes.push(Date.now());
    // Eventual consistency right after SendCommand.
    if (inv.polls <= this.opts.invisiblePolls) throw new AwsError("InvocationDoesNotExist", "");
    if (inv.polls <= this.opts.invisiblePolls + this.opts.throttledPolls) {
      throw new AwsError("ThrottlingException", "Rate exceeded");
    }
    const finished = inv.status === "Success" || inv.status === "Failed" || inv.status === "TimedOut";
    return {
      CommandId: inv.commandId,
      InstanceId: inv.instanceId,
      DocumentName: inv.documentName,
      DocumentVersion: "1",
      PluginName: this.document.mainSteps[0]?.name,
      ResponseCode: inv.responseCode,
      Status: inv.status,
      StatusDetails: inv.statusDetails,
      StandardOutputContent: finished ? inv.stdout : "",
      StandardOutputUrl: "",
      StandardErrorContent: finished ? inv.stderr : "",
      StandardErrorUrl: "",
      CloudWatchOutputConfig: { CloudWatchLogGroupName: "", CloudWatchOutputEnabled: false },
    };
  }

  private listCommandInvocations(body: Record<string, unknown>) {
    return {
      CommandInvocations: this.invocations
        .filter(
          (i) =>
            (!body.CommandId || i.commandId === body.CommandId) &&
            (!body.InstanceId || i.instanceId === body.InstanceId),
        )
        .map((i) => ({
          CommandId: i.commandId,
          InstanceId: i.instanceId,
          DocumentName: i.documentName,
          Status: i.status,
          StatusDetails: i.statusDetails,
        })),
    };
  }

  private getParameter(name: string, decrypt: boolean) {
    const p = this.parameters.get(name);
    if (!p) throw new AwsError("ParameterNotFound", "");
    // Without WithDecryption a SecureString comes back as its ciphertext.
    const value =
      p.type === "SecureString" && !decrypt ? Buffer.from(`kms-ciphertext:${name}`).toString("base64") : p.value;
    return {
      Name: name,
      Type: p.type,
      Value: value,
      Version: 1,
      ARN: `arn:aws:ssm:${this.opts.region}:123456789012:parameter${name}`,
      DataType: "text",
    };
  }
}

class AwsError extends Error {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message);
    this.type = type;
  }
}
