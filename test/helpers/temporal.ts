import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';

/** The run's shared dev server, started by globalSetup. */
export function testTemporalAddress(): string {
  const address = process.env.JUNCTION_TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('JUNCTION_TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (globalSetup)');
  return address;
}

/** The workflow bundle built once for the run. */
export function testWorkflowBundle(): { codePath: string } {
  const codePath = process.env.JUNCTION_TEST_WORKFLOW_BUNDLE;
  if (!codePath)
    throw new Error('JUNCTION_TEST_WORKFLOW_BUNDLE is not set: run the tests through jest (globalSetup)');
  return { codePath };
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export async function connectTestClient(
  address = testTemporalAddress(),
): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address });
  return { connection, client: new Client({ connection }) };
}

/** Polls until `probe` returns a value that is not undefined/false, or throws after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  throw new Error(
    `timed out waiting for ${options.what ?? 'condition'}${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}
