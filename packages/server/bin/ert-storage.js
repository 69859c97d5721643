#!/usr/bin/env -S node --max-semi-space-size=8 --expose-gc --wasm-tiering-budget=1000000000
// node's flags on the line above: the README (Running in production) says why; the
// package.json scripts and the bench start it with the same.
// Runs the compiled command (pnpm build makes dist/).
require("../dist/src/cli")
  .main(process.argv.slice(2))
  .then((code) => {
    if (code !== undefined) process.exitCode = code;
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
