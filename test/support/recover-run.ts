import { findPortOwners } from "../../src/agent/probes/host/port-owners.ts";
import { postSlashCommand, signSlack } from "./slack-signing.ts";
import type { SlackStandIn, StoredMessage } from "./slack-standin.ts";

/**
 * Drives `/openclaw recover` the way a Slack user does, against any control plane (the Node
 * process or the Worker): really signed slash commands and block_actions presses, and reads
 * the run's messages back from the Slack stand-in.
 */
export class RecoverSession {
  private readonly opts: { url: string; secret: string; channel: string; host: string; slack: SlackStandIn };

  constructor(opts: { url: string; secret: string; channel: string; host: string; slack: SlackStandIn }) {
    this.opts = opts;
  }

  all(): StoredMessage[] {
    return [...this.opts.slack.messages.values()];
  }

  slash(user: string, text: string) {
    return postSlashCommand(this.opts.url, this.opts.secret, { text, user_id: user, channel_id: this.opts.channel });
  }

  pressBody(user: string, id: string, actionId = "clawops_approve"): string {
    return new URLSearchParams({
      payload: JSON.stringify({
        type: "block_actions",
        user: { id: user },
        channel: { id: this.opts.channel },
        container: { type: "message", channel_id: this.opts.channel },
        actions: [{ type: "button", action_id: actionId, block_id: "clawops_confirm", value: id }],
      }),
    }).toString();
  }

  /** A button press; `headers` replaces the valid signature (forged or stale ones). */
  async press(user: string, id: string, headers?: Record<string, string>, actionId?: string) {
    const body = this.pressBody(user, id, actionId);
    const res = await fetch(`${this.opts.url}/slack/interactions`, {
      method: "POST",
      headers: headers ?? signSlack(this.opts.secret, body),
      body,
    });
    return {
      status: res.status,
      body: (await res.json().catch(() => null)) as { ok?: boolean; error?: { code: string } } | null,
    };
  }

  /**
   * The id of the restart confirmation posted after message `after`, once the run is waiting
   * for it: its progress message says so, which it does only after the confirmation is
   * recorded. (Seeing the post alone is too early to restart the runtime: the run may not have
   * recorded it yet, and asks again.)
   */
  async waitConfirmation(after: number, timeoutMs = 90_000): Promise<string> {
    let id = "";
    await this.opts.slack.waitFor(
      () => {
        const posted = this.all().slice(after);
        const m = posted.find((x) => blocksOf(x).includes("clawops_approve"));
        const value = /"value":"(cf_[^"]+)"/.exec(m ? blocksOf(m) : "")?.[1];
        if (value) id = value;
        const waiting = posted.some(
          (x) => /^Recovering /.test(x.text) && blocksOf(x).includes("— waiting for confirmation"),
        );
        return !!value && waiting;
      },
      timeoutMs,
      "the restart confirmation",
    );
    return id;
  }

  /** The run's progress message once it has ended; after a success, once its last word is posted too. */
  async waitRunEnd(after: number, timeoutMs = 150_000): Promise<StoredMessage> {
    const { host } = this.opts;
    let end: StoredMessage | undefined;
    await this.opts.slack.waitFor(
      () => {
        end = this.all()
          .slice(after)
          .find((m) => /^(Recovered|Recovery stopped:) /.test(m.text));
        return !!end;
      },
      timeoutMs,
      "the end of the recovery run",
    );
    if (!end) throw new Error("no end");
    if (end.text.startsWith("Recovered")) {
      // The run's last word comes after the unfreeze; only then may the host's next run start.
      await this.opts.slack.waitFor(
        () =>
          this.all()
            .slice(after)
            .some((m) => m.text.includes(`${host} recovered in `)),
        30_000,
        "the run's closing message",
      );
    }
    return end;
  }
}

export const blocksOf = (m: StoredMessage): string => JSON.stringify(m.blocks);

/** Pids listening on a gateway's port. */
export async function gatewayOwnerPids(port: number): Promise<number[]> {
  const owners = await findPortOwners("/proc", port, process.env);
  return [...new Set(owners.owners.map((o) => o.pid).filter((p): p is number => p !== null))];
}

/** Stops whatever listens on the port: the gateway a test's recover run restarted on its own. */
export async function killGatewayOwners(port: number): Promise<void> {
  for (const pid of await gatewayOwnerPids(port)) {
    for (const signal of ["SIGTERM", "SIGKILL"] as const) {
      try {
        process.kill(-pid, signal);
      } catch {
        try {
          process.kill(pid, signal);
        } catch {
          // gone
        }
      }
      await new Promise((r) => setTimeout(r, signal === "SIGTERM" ? 3_000 : 200));
    }
  }
}

/**
 * Waits for every setup step and then throws the first failure: a gateway starting beside the
 * control plane and agent is never left running unseen by afterAll when one of them fails.
 */
export async function allSettledOrThrow(steps: Promise<unknown>[]): Promise<void> {
  for (const r of await Promise.allSettled(steps)) if (r.status === "rejected") throw r.reason;
}
