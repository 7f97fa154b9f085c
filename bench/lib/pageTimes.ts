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
  const pages: Array<{ scheduled: number; started: number; completed: number; follows: boolean }> = [];
  const started = new Map<number, number>();
  // Whether the last activity scheduled was a syncPage: only a page right after a page counts as a turn
  // between pages (not the wait between two runs, nor a run's begin and finish).
  let lastScheduled = '';
  for (const event of events) {
    const type = event.activityTaskScheduledEventAttributes?.activityType?.name;
    const previous = lastScheduled;
    if (type) lastScheduled = type;
    if (event.activityTaskStartedEventAttributes) {
      started.set(Number(event.activityTaskStartedEventAttributes.scheduledEventId), ms(event));
    }
    if (type === 'syncPage') {
      pages.push({ scheduled: ms(event), started: NaN, completed: NaN, follows: previous === 'syncPage' });
    }
    const done = event.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const scheduled = byId.get(Number(done.scheduledEventId));
    if (scheduled?.activityTaskScheduledEventAttributes?.activityType?.name !== 'syncPage') continue;
    const page = pages.find((p) => p.scheduled === ms(scheduled) && Number.isNaN(p.completed));
    if (page)
      Object.assign(page, {
        started: started.get(Number(done.scheduledEventId)) ?? NaN,
        completed: ms(event),
      });
  }
  const done = pages.filter((page) => !Number.isNaN(page.completed));
  const between = pages
    .map((page, i) => (page.follows && i > 0 ? page.scheduled - pages[i - 1]!.completed : NaN))
    .filter((gap) => !Number.isNaN(gap));
  return {
    activities: done.length,
    activityMs: mean(done.map((page) => page.completed - page.started)),
    queuedMs: mean(done.map((page) => page.started - page.scheduled)),
    workflowTurnMs: mean(between),
  };
}
