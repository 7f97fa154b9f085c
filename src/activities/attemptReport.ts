import type { Client } from '@temporalio/client';
import type { Logger } from '../logging/logger';
import { attemptReportedSignal, type DeliveryAttempt } from '../shared/webhooks';

/** A report that takes longer than this is given up: the attempt's outcome matters more than its log line. */
const REPORT_TIMEOUT_MS = 5_000;

/**
 * Tells the delivery workflow about one attempt (its delivery log), before the activity returns or fails, so
 * the log also sees the retries Temporal makes on its own. Best effort: a report that fails is only logged;
 * the workflow still records the round's outcome.
 */
export async function reportAttempt(
  client: Client | undefined,
  workflowId: string | undefined,
  entry: DeliveryAttempt,
  log: Logger,
): Promise<void> {
  if (!client || !workflowId) return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.workflow.getHandle(workflowId).signal(attemptReportedSignal, entry),
      new Promise((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${REPORT_TIMEOUT_MS} ms`)),
          REPORT_TIMEOUT_MS,
        );
      }),
    ]);
  } catch (error) {
    log.warn({ err: error }, 'could not report the attempt to the delivery log');
  } finally {
    clearTimeout(timer);
  }
}
