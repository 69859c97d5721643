#!/usr/bin/env node
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
