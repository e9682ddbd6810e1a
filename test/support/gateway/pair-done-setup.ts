import { afterAll, expect } from "vitest";
import { markSecondGatewayGone } from "./pair.ts";

// A setup file of the `gateway` project, the first one: its `afterAll` runs after every other
// (vitest runs them in reverse order), once the file and file-end-setup.ts have stopped what they
// started. A file of PAIR_FILES then says so in the marker scripts/run-suites.ts hands both gateway
// lanes (pair.ts); one that said so sooner writes its name a second time, which changes nothing
// (`waitForPair` reads the names). The other gateway lane starts its gateway once both have.
afterAll(() => markSecondGatewayGone(expect.getState().testPath));
