import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const heapModule = join(__dirname, '..', '..', 'dist', 'src', 'workers', 'heap.js');

/**
 * In a process of its own (the option is process-wide): the heap limit a new thread gets, before and after
 * `optimizeHeapForSize`. The young generation V8 reserves for a heap is smaller with the option, so a thread
 * created afterwards (as the worker's workflow thread is) reports a smaller limit.
 */
const script = `
const { Worker } = require('node:worker_threads');
const threadHeapLimit = () => new Promise((resolve, reject) => {
  const thread = new Worker(
    "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)",
    { eval: true },
  );
  thread.once('message', (limit) => thread.terminate().then(() => resolve(limit)));
  thread.once('error', reject);
});
(async () => {
  const before = await threadHeapLimit();
  require(${JSON.stringify(heapModule)}).optimizeHeapForSize();
  const after = await threadHeapLimit();
  process.stdout.write(JSON.stringify({ before, after }));
})();
`;

test('optimizeHeapForSize gives threads created afterwards a heap sized for memory', () => {
  if (!existsSync(heapModule))
    throw new Error('dist/ is missing: build first (npx tsc -p tsconfig.build.json)');
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  expect(result.stderr).toBe('');
  const { before, after } = JSON.parse(result.stdout) as { before: number; after: number };
  expect(after).toBeLessThan(before);
});
