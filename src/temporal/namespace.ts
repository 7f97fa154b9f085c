import type { Connection } from '@temporalio/client';
import { msNumberToTs } from '@temporalio/common/lib/time';
import { JUNCTION_SEARCH_ATTRIBUTES } from '../shared/searchAttributes';

/** Keyword is search attribute type 2 in the Temporal API (`INDEXED_VALUE_TYPE_KEYWORD`). */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/**
 * Dedupe lasts as long as closed executions are retained: it must outlast the providers' redelivery
 * windows (Stripe retries for up to three days). Seven days leaves room.
 */
export const DEFAULT_RETENTION_DAYS = 7;

/** Registers Junction's search attributes (idempotent) and, when asked, sets the namespace's retention. */
export async function setupNamespace(
  connection: Connection,
  namespace: string,
  options: { retentionDays?: number } = {},
): Promise<{ registered: string[]; retentionDays?: number }> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = JUNCTION_SEARCH_ATTRIBUTES.filter(
    (key) => !(key.name in (existing.customAttributes ?? {})),
  );
  if (missing.length > 0) {
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_VALUE_TYPE_KEYWORD])),
    });
  }
  if (options.retentionDays !== undefined) {
    await connection.workflowService.updateNamespace({
      namespace,
      config: { workflowExecutionRetentionTtl: msNumberToTs(options.retentionDays * 24 * 60 * 60 * 1_000) },
    });
  }
  return { registered: missing.map((key) => key.name), retentionDays: options.retentionDays };
}
