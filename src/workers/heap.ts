import { setFlagsFromString } from 'node:v8';

/** The V8 option a worker process runs with unless `temporal.optimizeForSize` is false. */
const OPTIMIZE_FOR_SIZE_FLAG = '--optimize-for-size';

/**
 * Tells V8 to favour memory over speed in this process, for every heap it creates from now on. Called by a
 * process that runs the worker before the worker exists, so that the workflow thread's heap (where the cached
 * workflows live) is created with it; the main thread's heap takes it up in its later collections.
 *
 * Node refuses the option in `NODE_OPTIONS`, and a second process only to pass it on the command line would
 * sit beside every worker, so it is set here, before the threads it matters for start. In
 * `npm run bench -- memory` (2,000 open workflows, 250 cached) it took the worker from 436–451 MB to
 * 269–283 MB, for about 24 % more of the worker's CPU per webhook delivery (docs/operating.md, "Worker memory").
 */
export function optimizeHeapForSize(): void {
  setFlagsFromString(OPTIMIZE_FOR_SIZE_FLAG);
}
