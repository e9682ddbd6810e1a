import { beforeAll } from "vitest";
import { fileStartState, sharedGateway } from "./control.ts";

// A setup file of the `gateway` project: registered before the test file's own hooks, so it runs
// before them. It makes the state the file declared (`gatewayAtFileStart`; a healthy gateway on
// the lab config unless it says otherwise) from whatever the file before it left.
beforeAll(async () => {
  const gw = sharedGateway();
  const state = fileStartState();
  if (state === "stopped") await gw.stop();
  else if (state === "drifted") await gw.drift();
  else await gw.restoreHealthy();
});
