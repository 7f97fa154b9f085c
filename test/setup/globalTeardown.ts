import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  // The dev server, or the cluster (whose stop also drops its databases).
  const server = (globalThis as { __junctionDevServer?: { stop(): Promise<void> } }).__junctionDevServer;
  await server?.stop();
  if (process.env.JUNCTION_TEST_TMP) rmSync(process.env.JUNCTION_TEST_TMP, { recursive: true, force: true });
}
