import { env } from "cloudflare:workers";
import { InProcessTurns } from "../../src/core/jobs/turns.ts";
import { DirectoryStore } from "../../src/worker/directory-store.ts";
import { claimsContract, turnsContract } from "../support/claims-contract.ts";

// The Workers side of the base ports' contract (test/support/claims-contract.ts): claims in the
// directory Durable Object's SQLite, each call an RPC as every request makes it; turns as a host
// object holds them, in workerd.
claimsContract(
  "the directory Durable Object's SQLite (DirectoryStore, by RPC)",
  () => new DirectoryStore(env.DIRECTORY),
);
turnsContract("in process inside workerd (a host object's InProcessTurns)", () => new InProcessTurns());
