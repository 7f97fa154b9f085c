#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(entry)) {
  process.stderr.write('junction: not built yet: run `npm ci` (or `npm run build`) in the checkout first\n');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .catch((error) => {
    process.stderr.write(`junction: ${error && error.stack ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  });
