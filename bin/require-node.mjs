// clawops is TypeScript run by Node >= 24.16 (native type stripping; OpenClaw needs it too).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 24 || (major === 24 && minor < 16)) {
  console.error(
    `${process.argv[1]}: needs Node >= 24.16 (this is ${process.version}). Run it through npm (npm run …) or npx, which use the Node 24 that clawops installs.`,
  );
  process.exit(1);
}
