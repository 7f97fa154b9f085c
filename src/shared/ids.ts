/**
 * Workflow ids are meaningful and deterministic, so a redelivery maps onto the execution that already
 * exists and Temporal's id policies (not a side table) make it a duplicate.
 */
export function webhookWorkflowId(sourceId: string, deliveryId: string): string {
  return `webhook:${sourceId}:${deliveryId}`;
}

/**
 * The application workflow a `workflow` target starts for a delivery: derived from the delivery's own
 * workflow id, so activity retries and redeliveries find the same execution.
 */
export function appWorkflowId(deliveryWorkflowId: string, route: string, target: string): string {
  return `${deliveryWorkflowId}/${route}/${target}`;
}
