import { z } from "zod";

/**
 * Imported first by the agent's entry point, before any schema exists: zod then checks objects
 * without compiling a parser for each one (it decides when a schema is built). The agent parses
 * a few frames per job, so speed is moot, but the compiled parsers of the wire schemas held about
 * 1 MB of its heap: 3.0 MB with them, 2.0 MB without, after parsing the recorded frames of every
 * step (test/unit/fixtures/wire/frames-v1.json) on Node 24.
 */
z.config({ jitless: true });
