#!/usr/bin/env node
'use strict';
// Makes `npm start`, `npm test` and `npm run bench` work on a fresh clone: installs dependencies when
// they are missing or older than the lockfile, compiles, and provisions the Temporal CLI (built once
// with `go install` into ~/.cache/junction, then reused).
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

const installed = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(join(root, 'package-lock.json')) > mtime(installed)) {
  process.stderr.write('ensure: installing dependencies (npm ci)\n');
  run(npm, ['ci', '--no-audit', '--no-fund']);
}
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
if (!process.env.TEMPORAL_ADDRESS || process.argv.includes('--temporal')) {
  run(process.execPath, [join(root, 'bin', 'junction.js'), 'temporal', 'provision']);
}
// `npm run test:cluster`: the Temporal server and temporal-sql-tool too (built once, like the CLI).
if (process.argv.includes('--cluster')) {
  run(process.execPath, [join(root, 'bin', 'junction.js'), 'temporal', 'provision', '--server']);
}
