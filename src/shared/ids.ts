/**
 * Workflow ids are meaningful and deterministic, so a redelivery maps onto the execution that already
 * exists and Temporal's id policies (not a side table) make it a duplicate.
 */
export function webhookWorkflowId(sourceId: string, deliveryId: string): string {
  return `webhook:${sourceId}:${deliveryId}`;
}

/** Parses a webhook workflow id back into its parts; undefined when it is not one. */
export function parseWebhookWorkflowId(
  workflowId: string,
): { sourceId: string; deliveryId: string } | undefined {
  const match = /^webhook:([^:]+):(.+)$/.exec(workflowId);
  if (!match) return undefined;
  return { sourceId: match[1] as string, deliveryId: match[2] as string };
}

/**
 * The application workflow a `workflow` target starts for a delivery: derived from the delivery's own
 * workflow id, so activity retries and redeliveries find the same execution.
 */
export function appWorkflowId(deliveryWorkflowId: string, route: string, target: string): string {
  return `${deliveryWorkflowId}/${route}/${target}`;
}
