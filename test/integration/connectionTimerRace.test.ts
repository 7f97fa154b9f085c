import { Connection, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import { junctionActivities } from '../../src/app/activities';
import { junctionDataConverter } from '../../src/codec';
import { createCredentialCache } from '../../src/connections';
import { createOutbound, type Outbound } from '../../src/network/outbound';
import { exportHistories } from '../helpers/exportHistories';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { authorizeWithoutBrowser } from '../helpers/oauthServer';
import { eventually, testTemporalAddress, testWorkflowBundle, uniqueName } from '../helpers/temporal';

/**
 * The refresh-ahead timer and a refresh that callers started, finishing in one workflow task: the workflow
 * runs on a worker the test stops and starts (its activities on another that keeps running), so the refresh's
 * answer and the timer both reach history while no workflow worker is there, and the next workflow task
 * carries both. Covers `refresh-timer-skips-after-a-refresh` (ConnectionRuntime.timerStillDue); its history
 * is a replay fixture (JUNCTION_EXPORT_HISTORIES).
 */

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let env: ConnectionsEnv;
let native: NativeConnection;
let connection: Connection;
let outbound: Outbound;
/** Every worker the test started, stopped (again) at the end whatever happened. */
const workers: Array<{ stop(): Promise<void> }> = [];

/** Runs a worker until `stop`, which waits for it to be gone. */
function running(worker: Worker) {
  const run = worker.run();
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await run;
  };
  workers.push({ stop });
  return { stop };
}

/** A worker that polls the task queue for workflow tasks only: activities stay with `activityWorker`. */
async function startWorkflowWorker(identity: string) {
  const worker = await Worker.create({
    connection: native,
    namespace: env.junction.config.temporal.namespace,
    taskQueue: env.junction.config.temporal.taskQueue,
    workflowBundle: testWorkflowBundle(),
    dataConverter: junctionDataConverter(env.junction.codec),
    identity,
  });
  return running(worker);
}

beforeAll(async () => {
  // `web-fast` (provider `test-fast`, refresh margin 1 s) tokens live 30 s: the refresh-ahead timer is due
  // 29 s after the token was issued, room for a busy machine to start and hold the refresh before it.
  env = await startConnectionsEnv({ fastTtl: 30 });
  // Junction's own worker runs workflows and activities together; this test needs them apart.
  await env.junction.stopWorker();
  const { config, logger, client } = env.junction;
  native = await NativeConnection.connect({ address: testTemporalAddress() });
  connection = await Connection.connect({ address: testTemporalAddress() });
  outbound = createOutbound({ allowPrivate: config.network.allowPrivate ?? [] });
  const activities = await Worker.create({
    connection: native,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: await junctionActivities({
      config,
      logger,
      connection,
      namespace: config.temporal.namespace,
      client,
      outbound,
    }),
    dataConverter: junctionDataConverter(env.junction.codec),
    identity: 'timer-race-activities',
  });
  running(activities);
});

afterAll(async () => {
  // `JUNCTION_EXPORT_HISTORIES=<dir>`: this test's connection history (the patched path), as a replay fixture.
  const out = process.env.JUNCTION_EXPORT_HISTORIES;
  if (out && env) {
    const query = `WorkflowType = 'connection' AND TaskQueue = '${env.junction.config.temporal.taskQueue}'`;
    await exportHistories(env.junction.client, env.junction.codec, { query, out });
  }
  for (const worker of workers) await worker.stop();
  await native?.close();
  await connection?.close();
  await outbound?.close();
  await env?.stop();
});

async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

const idOf = (event: HistoryEvent) => Number(event.eventId);

/** The patch ids a `patched()` marker records (Core writes them as JSON payloads: `{ id, deprecated }`). */
function patchIdsOf(event: HistoryEvent): string[] {
  const attributes = event.markerRecordedEventAttributes;
  if (attributes?.markerName !== 'core_patch') return [];
  return Object.values(attributes.details ?? {})
    .flatMap((payloads) => payloads.payloads ?? [])
    .map((payload) => (JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as { id: string }).id);
}

/**
 * In a connection's history: the token requests scheduled, the first one's answer, and the first timer to
 * fire with the task that saw it.
 */
function raceOf(events: HistoryEvent[]) {
  const tokenRequests = events.filter(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED &&
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'requestToken',
  );
  const refresh = tokenRequests[0];
  const answered = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED &&
      refresh !== undefined &&
      Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === idOf(refresh),
  );
  const fired = events.find((e) => e.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
  const timerSet = events.find((e) => idOf(e) === Number(fired?.timerFiredEventAttributes?.startedEventId));
  const taskStarted = fired
    ? events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && idOf(e) > idOf(fired))
    : undefined;
  const taskCompleted = events.find(
    (e) =>
      e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
      taskStarted !== undefined &&
      Number(e.workflowTaskCompletedEventAttributes?.startedEventId) === idOf(taskStarted),
  );
  return { tokenRequests, refresh, answered, timerSet, fired, taskStarted, taskCompleted };
}

test('the refresh-ahead timer firing in the workflow task that ends a caller refresh makes no second token request', async () => {
  let workflows = await startWorkflowWorker('timer-race-workflows-1');
  const connectionId = uniqueName('test-fast');
  await authorizeWithoutBrowser(await env.connectLink('test-fast', connectionId), {
    returnToPrefix: RETURN_TO,
  });
  const handle = env.junction.client.workflow.getHandle(`connection:${connectionId}`);
  // Callers in three processes, each with its own credential cache.
  const caller = () => createCredentialCache({ client: env.junction.client, minValidityMs: 1_000 });
  const [first, second, third] = [caller(), caller(), caller()];
  const old = await first.authHeaders(connectionId);

  // The refreshed token lives long enough that its own timer stays far away; the token endpoint holds the
  // next request 8 s, long enough to stop the workflow worker while the refresh is in flight, and short
  // enough that the answer comes before the old token's timer is due.
  await env.oauth.setTokenLifetime(300);
  await env.oauth.holdTokenRequests(1, 8_000);
  const before = await env.oauth.stats();
  // Two callers saw the token rejected: one `renewCredentials` update (the same id), one refresh.
  const renewed = Promise.all([
    first.authHeadersAfterUnauthorized(connectionId, old.headers),
    second.authHeadersAfterUnauthorized(connectionId, old.headers),
  ]);
  await eventually(async () => (await env.oauth.stats()).holding > 0, { what: 'the held token request' });
  await workflows.stop();

  // With no workflow worker, the refresh's answer and then the timer set for the old token reach history.
  const waiting = await eventually(
    async () => {
      const events = await historyOf(handle);
      const { answered, fired } = raceOf(events);
      return answered && fired && idOf(fired) > idOf(answered) ? events : undefined;
    },
    { timeoutMs: 60_000, what: 'the refresh answer and the timer firing while no workflow worker runs' },
  );
  // Both are still waiting for a workflow task: none started since the refresh was scheduled.
  const { refresh } = raceOf(waiting);
  expect(
    waiting.filter(
      (e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && idOf(e) > idOf(refresh!),
    ),
  ).toEqual([]);

  workflows = await startWorkflowWorker('timer-race-workflows-2');
  try {
    const [one, two] = await renewed;
    expect(one.headers).not.toEqual(old.headers);
    expect(two.headers).toEqual(one.headers);
    // The workflow settles: the task that saw the timer completed, and no workflow task or activity is
    // outstanding (a second token request would be one).
    const events = await eventually(
      async () => {
        const { raw } = await handle.describe();
        if (raw.pendingWorkflowTask || (raw.pendingActivities ?? []).length > 0) return undefined;
        const history = await historyOf(handle);
        return raceOf(history).taskCompleted ? history : undefined;
      },
      { what: 'the workflow to settle after the refresh' },
    );

    // One workflow task carried both: the timer, set before the refresh began, fired after the refresh's
    // answer, and no task completed between that answer and the task (on the second worker) that saw them.
    const race = raceOf(events);
    const [answered, timerSet, fired, taskStarted] = [
      race.answered,
      race.timerSet,
      race.fired,
      race.taskStarted,
    ].map((event) => {
      if (!event) throw new Error(`missing from the history: ${JSON.stringify(race)}`);
      return event;
    }) as [HistoryEvent, HistoryEvent, HistoryEvent, HistoryEvent];
    expect(idOf(timerSet)).toBeLessThan(idOf(refresh!));
    expect(idOf(fired)).toBeGreaterThan(idOf(answered));
    expect(taskStarted.workflowTaskStartedEventAttributes?.identity).toBe('timer-race-workflows-2');
    expect(
      events.filter(
        (e) =>
          e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
          idOf(e) > idOf(answered) &&
          idOf(e) < idOf(taskStarted),
      ),
    ).toEqual([]);

    // One token request for that expiry (the held one): the timer's would have been scheduled in that task.
    const after = await env.oauth.stats();
    process.stdout.write(
      `timer fired in the task that ended the refresh: ${after.tokenRequests - before.tokenRequests} token request(s), ${race.tokenRequests.length} scheduled\n`,
    );
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect((after.grants.refresh_token ?? 0) - (before.grants.refresh_token ?? 0)).toBe(1);
    expect(race.tokenRequests.map(idOf)).toEqual([idOf(refresh!)]);
    // The fix's patched path, taken in that task (what the replay fixture covers).
    expect(
      events.some(
        (e) => idOf(e) > idOf(taskStarted) && patchIdsOf(e).includes('refresh-timer-skips-after-a-refresh'),
      ),
    ).toBe(true);

    // Every caller holds the new token; a later one gets it from the workflow without a token request.
    const latest = await third.authHeaders(connectionId);
    expect(latest.headers).toEqual(one.headers);
    expect(latest.expiresAt).toBeGreaterThan(Date.now() + 60_000);
    expect((await env.oauth.stats()).tokenRequests).toBe(after.tokenRequests);
    expect((await env.admin('DELETE', `/connections/${connectionId}`)).status).toBe(200);
  } finally {
    await workflows.stop();
    await env.oauth.setTokenLifetime(0);
  }
}, 120_000);
