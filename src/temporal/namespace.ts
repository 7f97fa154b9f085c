import type { Connection } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { JUNCTION_SEARCH_ATTRIBUTES } from '../shared/searchAttributes';

/** Search attribute types in the Temporal API (`INDEXED_VALUE_TYPE_KEYWORD`, `…_DATETIME`). */
const INDEXED_VALUE_TYPE_KEYWORD = 2;
const INDEXED_VALUE_TYPE_DATETIME = 6;

/**
 * Dedupe lasts as long as closed executions are retained: it must outlast the providers' redelivery
 * windows (Stripe retries for up to three days). Seven days leaves room.
 */
export const DEFAULT_RETENTION_DAYS = 7;

const DAY_MS = 24 * 60 * 60 * 1_000;
/** gRPC NOT_FOUND. */
const NOT_FOUND = 5;

async function waitForNamespace(connection: Connection, namespace: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await connection.operatorService.listSearchAttributes({ namespace });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * Waits until the frontend accepts a visibility query over Junction's search attributes: on a cluster the
 * attributes reach each frontend's namespace cache a moment after they are registered.
 */
async function waitForSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const query = JUNCTION_SEARCH_ATTRIBUTES.map(
    (key) => `${key.name} = '${key.type === 'DATETIME' ? '2000-01-01T00:00:00Z' : 'junction-setup-probe'}'`,
  ).join(' AND ');
  let lastError: unknown;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      await connection.workflowService.listWorkflowExecutions({ namespace, query, pageSize: 1 });
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw lastError;
}

/**
 * Prepares a namespace for Junction: creates it when asked and missing, registers Junction's search
 * attributes (idempotent) and, when asked, sets its retention.
 */
export async function setupNamespace(
  connection: Connection,
  namespace: string,
  options: { retentionDays?: number; createIfMissing?: boolean } = {},
): Promise<{ created: boolean; registered: string[]; retentionDays?: number }> {
  let created = false;
  if (options.createIfMissing) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
    } catch (error) {
      if ((error as { code?: number }).code !== NOT_FOUND) throw error;
      await connection.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msNumberToTs(
          (options.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_MS,
        ),
      });
      created = true;
      // A new namespace takes a moment to be usable on every frontend.
      await waitForNamespace(connection, namespace);
    }
  }
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = JUNCTION_SEARCH_ATTRIBUTES.filter(
    (key) => !(key.name in (existing.customAttributes ?? {})),
  );
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(
        missing.map((key) => [
          key.name,
          key.type === 'DATETIME' ? INDEXED_VALUE_TYPE_DATETIME : INDEXED_VALUE_TYPE_KEYWORD,
        ]),
      ),
    });
    await waitForSearchAttributes(connection, namespace);
  }
  if (options.retentionDays !== undefined) {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msNumberToTs(options.retentionDays * DAY_MS) },
    });
  }
  return { created, registered: missing.map((key) => key.name), retentionDays: options.retentionDays };
}
