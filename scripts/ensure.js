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
// `npm test`: the system tools some tests drive, from Debian's packages when they are missing: Chromium and
// ChromeDriver (the browser tests) and promtool (the alert rules' tests). Installed only where apt-get can
// run as root; elsewhere the message says what to install, and those tests fail saying the same.
if (process.argv.includes('--test-tools')) {
  const { spawnSync } = require('node:child_process');
  const has = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
  const missing = [
    ...(has('chromium') ? [] : ['chromium', 'chromium-driver']),
    ...(has('promtool') ? [] : ['prometheus']),
  ];
  if (missing.length > 0) {
    const canInstall = has('apt-get') && typeof process.getuid === 'function' && process.getuid() === 0;
    if (canInstall) {
      process.stderr.write(`ensure: installing ${missing.join(', ')} (apt-get)\n`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', ...missing]);
    } else {
      process.stderr.write(
        `ensure: the tests need Debian's ${missing.join(', ')} package(s); install them (as root: ` +
          `apt-get install ${missing.join(' ')}), or the browser and alert-rule tests fail\n`,
      );
    }
  }
}
