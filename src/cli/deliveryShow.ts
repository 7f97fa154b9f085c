import type { DeliveryAttempt, WebhookDeliveryStatus } from '../shared/webhooks';

/** Left-aligned columns, two spaces apart. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

const targetName = (entry: { route: string; target?: string }) =>
  entry.target === undefined ? entry.route : `${entry.route}/${entry.target}`;

function attemptRow(entry: DeliveryAttempt): string[] {
  return [
    entry.at,
    targetName(entry),
    String(entry.attempt),
    entry.outcome,
    entry.status === undefined ? '-' : String(entry.status),
    entry.durationMs === undefined ? '-' : `${entry.durationMs} ms`,
    entry.error ? `${entry.error.code}: ${entry.error.message}` : '-',
  ];
}

/**
 * A delivery as `junction webhooks show` prints it: where it stands, each target, and the delivery log (the
 * latest attempts: status, duration, error).
 */
export function formatDelivery(workflowId: string, status: WebhookDeliveryStatus): string {
  const lines = [
    `workflow:  ${workflowId}`,
    `source:    ${status.sourceId}`,
    `delivery:  ${status.deliveryId}`,
    `event:     ${status.eventType}`,
    `state:     ${status.state}${status.deadLetteredAt ? ` (since ${status.deadLetteredAt})` : ''}`,
  ];
  if (status.discardReason) lines.push(`discarded: ${status.discardReason}`);
  if (status.lastError) lines.push(`error:     ${status.lastError.code}: ${status.lastError.message}`);
  for (const reason of status.validationErrors ?? []) lines.push(`invalid:   ${reason}`);
  lines.push('', 'targets:');
  lines.push(
    ...columns([
      ['TARGET', 'KIND', 'STATUS', 'ATTEMPTS', 'LAST ERROR'],
      ...status.targets.map((t) => [
        targetName(t.target),
        t.target.kind,
        t.status,
        String(t.attempts),
        t.lastError ? `${t.lastError.code}: ${t.lastError.message}` : '-',
      ]),
    ]).map((line) => `  ${line}`),
  );
  lines.push('');
  if (status.log === undefined) {
    lines.push('attempts: not logged (the delivery started before Junction kept a delivery log)');
  } else if (status.log.length === 0) {
    lines.push('attempts: none yet');
  } else {
    lines.push(`last ${status.log.length} attempts (oldest first):`);
    lines.push(
      ...columns([
        ['AT', 'TARGET', 'ATTEMPT', 'OUTCOME', 'STATUS', 'DURATION', 'ERROR'],
        ...status.log.map(attemptRow),
      ]).map((line) => `  ${line}`),
    );
  }
  return `${lines.join('\n')}\n`;
}
