import { rmSync } from 'node:fs';
import type { DevServer } from '../../src/temporal/devServer';

export default async function globalTeardown(): Promise<void> {
  const server = (globalThis as { __junctionDevServer?: DevServer }).__junctionDevServer;
  await server?.stop();
  if (process.env.JUNCTION_TEST_TMP) rmSync(process.env.JUNCTION_TEST_TMP, { recursive: true, force: true });
}
