#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run by Node >= 24 (native type stripping).
import "../src/node/cli/main.ts";
