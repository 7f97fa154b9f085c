import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createLogger } from '../../src/logging/logger';
import { installRuntime } from '../../src/temporal/runtime';
import { testWorkflowBundle } from '../helpers/temporal';

/**
 * Histories of real runs, checked in under test/fixtures/histories/<workflow type>/ (payloads decoded, so no
 * key is needed), replayed with today's workflow code: a change that would break a running workflow fails
 * here. Record new ones with `npx tsx scripts/export-histories.ts` (see its header).
 */
const root = join(__dirname, '..', 'fixtures', 'histories');

function fixtures(): Array<{ workflowType: string; file: string }> {
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((dir) =>
      readdirSync(join(root, dir.name))
        .filter((file) => file.endsWith('.json'))
        .map((file) => ({ workflowType: dir.name, file: join(root, dir.name, file) })),
    );
}

beforeAll(async () => {
  // The replayer reports each failed workflow task as a warning; the test reports them itself.
  await installRuntime(createLogger({ level: 'fatal', pretty: false }), { metrics: false });
});

test('every checked-in history replays with the current workflow code', async () => {
  const all = fixtures();
  const types = new Set(all.map((f) => f.workflowType));
  // Every long-running workflow type Junction ships has histories to guard it.
  for (const type of [
    'connection',
    'webhookDelivery',
    'webhookSequencer',
    'oauthAuthorization',
    'providerAction',
    'sync',
  ])
    expect(types).toContain(type);
  const histories = all.map(({ file }) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))),
  }));
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: testWorkflowBundle() }, histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failures).toEqual([]);
  expect(replayed).toBe(all.length);
}, 120_000);
