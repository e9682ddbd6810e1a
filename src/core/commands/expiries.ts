import { errorMessage } from "../../contract/errors.ts";
import { tellRequester } from "../chat/tell-requester.ts";
import { ClawopsError } from "../errors.ts";
import { collectExpiries, EXPIRIES_DEADLINE_MS } from "../expiries/collect.ts";
import { renderExpiries } from "../expiries/render.ts";
import { renderNotice } from "../messages/notices.ts";
import type { CoreDeps } from "../ports/deps.ts";
import type { CommandReply, CommandRequest } from "../requests/types.ts";
import { defineCommand } from "./entry.ts";

/** `/openclaw expiries`: the fleet's expiry calendar, probed now (core/expiries). */
export const expiries = defineCommand({
  words: ["expiries"],
  parse: (rest): { kind: "expiries" } => {
    if (rest.length > 1 || (rest[0] !== undefined && rest[0].toLowerCase() !== "all"))
      throw new ClawopsError("bad_request", "Usage: `/openclaw expiries` (the whole fleet; `all` is the same).");
    return { kind: "expiries" };
  },
  help: [
    {
      usage: "/openclaw expiries",
      summary:
        "The fleet's expiry calendar, soonest first: each gateway's TLS certificate (and whether it serves its file), model credentials' expiry, agents' enrollment age, chat bot tokens shared across hosts and watcher grants refused (`invalid_grant`); dates and fingerprints only, entries within 14 days marked.",
    },
  ],
  authorize: "open",
  handle: (deps, req) => expiriesCommand(deps, req),
});

/**
 * `expiries`: read-only; acknowledges at once, then one job per enrolled host under one deadline
 * and the calendar posted in the channel (as `status … --live` posts its matrix).
 */
async function expiriesCommand(deps: CoreDeps, req: CommandRequest): Promise<CommandReply> {
  const count = (await deps.store.listHosts()).filter((h) => h.revokedAt === null).length;
  return {
    ack: renderNotice(
      `📅 Reading certificates and credential expiries on ${count} host${count === 1 ? "" : "s"} (at most ${EXPIRIES_DEADLINE_MS / 1000} s); the calendar follows.`,
    ),
    later: async () => {
      const calendar = await collectExpiries(deps);
      try {
        await deps.chat.postMessage({ channel: req.channel, ...renderExpiries(calendar) });
      } catch (err) {
        await tellRequester(
          deps,
          req.responseUrl,
          renderNotice(`⚠️ The expiry calendar could not be posted in <#${req.channel}>.\n${errorMessage(err)}`),
          { request: req.requestKey },
        );
        throw err;
      }
    },
  };
}
