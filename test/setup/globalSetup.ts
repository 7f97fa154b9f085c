import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '../../src/temporal/devServer';
import { createLogger } from '../../src/logging/logger';
import { provisionTemporalCli } from '../../src/temporal/provision';
import { freePort } from '../../src/temporal/runtime';
import { bundleJunctionWorkflows } from '../../src/workers/worker';
import { startTestCluster } from './cluster';

/**
 * Starts one Temporal dev server (in memory, headless), or with JUNCTION_TEST_TEMPORAL=cluster a Temporal
 * server on PostgreSQL, and bundles the workflow code once for the whole run; test files read both from
 * the environment.
 */
export default async function globalSetup(): Promise<void> {
  const onCluster = process.env.JUNCTION_TEST_TEMPORAL === 'cluster';
  // On the cluster, tests that start a dev server of their own still find a cached CLI; none is built.
  const cli = await provisionTemporalCli({
    onProgress: (line) => process.stderr.write(`${line}\n`),
    allowGoInstall: !onCluster,
  });
  if (cli.kind !== 'binary' && !onCluster) {
    throw new Error(`tests need a temporal binary; none was found or built: ${cli.tried.join('; ')}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'junction-test-'));
  const [server, bundle] = await Promise.all([
    onCluster ? startTestCluster(dir) : freePort().then((port) => startDevServer({ cli, port })),
    bundleJunctionWorkflows(createLogger({ level: 'warn', pretty: false })),
  ]);
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);
  process.env.JUNCTION_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.JUNCTION_TEST_WORKFLOW_BUNDLE = bundlePath;
  if (cli.kind === 'binary') process.env.JUNCTION_TEST_TEMPORAL_CLI = cli.path;
  process.env.JUNCTION_TEST_TMP = dir;
  // The run's payload codec keys: every Junction the tests start (in process or as a CLI child) encrypts.
  process.env.JUNCTION_CODEC_KEYS = `test-${randomBytes(3).toString('hex')}:${randomBytes(32).toString('base64')}`;
  (globalThis as { __junctionDevServer?: typeof server }).__junctionDevServer = server;
}
