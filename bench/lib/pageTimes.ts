import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const ms = (event: HistoryEvent | undefined) =>
  event?.eventTime ? Number(event.eventTime.seconds ?? 0) * 1_000 + (event.eventTime.nanos ?? 0) / 1e6 : NaN;

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/**
 * Where a sync's time goes, from its workflow history (the run in progress or the last one): each `syncPage`
 * activity (it takes pages, each fetched, mapped, validated and written, for up to about 2 s), waiting for a
 * worker to take it, and the workflow's turn between one activity's completion and the next one's scheduling.
 */
export async function pageTimes(client: Client, workflowId: string) {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  const pages: Array<{ scheduled: number; started: number; completed: number }> = [];
  const started = new Map<number, number>();
  for (const event of events) {
    if (event.activityTaskStartedEventAttributes) {
      started.set(Number(event.activityTaskStartedEventAttributes.scheduledEventId), ms(event));
    }
    const done = event.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const scheduled = byId.get(Number(done.scheduledEventId));
    if (scheduled?.activityTaskScheduledEventAttributes?.activityType?.name !== 'syncPage') continue;
    const id = Number(done.scheduledEventId);
    pages.push({ scheduled: ms(scheduled), started: started.get(id) ?? NaN, completed: ms(event) });
  }
  const between = pages
    .slice(1)
    .map((page, i) => page.scheduled - (pages[i] as { completed: number }).completed);
  return {
    activities: pages.length,
    activityMs: mean(pages.map((page) => page.completed - page.started)),
    queuedMs: mean(pages.map((page) => page.started - page.scheduled)),
    workflowTurnMs: mean(between),
  };
}
