/* eslint-disable @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access -- JSON answers of the HTTP API */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ConnectionMemo } from '../../src/shared/connectionContract';
import { RETURN_TO, startConnectionsEnv, type ConnectionsEnv } from '../helpers/connectionsFixture';
import { startFleetCaller, type FleetCaller } from '../helpers/fleet';
import { fingerprint, type LoadReport } from '../helpers/fleetCaller';
import { readStoredHistory } from '../helpers/history';
import { killProcess, startJunctionProcess } from '../helpers/junctionProcess';
import { authorizeWithoutBrowser, type OAuthServerStats } from '../helpers/oauthServer';
import { eventually, testTemporalAddress, uniqueName } from '../helpers/temporal';

/**
 * Chaos for connections: 1,000 callers (two caller processes of 100 credential caches with 5 callers each)
 * ask for the connection's headers again and again while the access token expires 20 times, on two
 * `junction worker` processes, against a real OAuth server that rotates the refresh token on every refresh
 * (a consumed one is `invalid_grant` once the provider's 30 s reuse grace has passed) and takes 1.5 s to
 * answer. Twice, the worker that runs the refresh is SIGKILLed while its token request is at the provider:
 *
 *   - `answer lost`: the provider has rotated the refresh token and holds its answer; the killed worker never
 *     receives it. Temporal retries the activity on the other worker (the request heartbeats), which presents
 *     the previous refresh token inside the reuse grace. Counted: 2 token requests, 2 refresh grants, 1
 *     answer lost, 1 reuse inside the grace.
 *   - `request dropped`: the provider holds the request before looking at it; the killed worker's request is
 *     dropped unprocessed, and the retry presents the same, still unused refresh token. Counted: 2 token
 *     requests, 1 refresh grant, 1 request dropped.
 *
 * Tokens issued in a kill round live 30 s: a worker's failover can take up to about 17 s (5 s heartbeat
 * timeout, the retry, then 10 s for the workflow task to leave the dead worker's sticky queue), longer than an
 * 8-second token, and a token that runs out before the workflow can serve it is refreshed once more (a third
 * request; the workflow does that rather than fail its callers). Real tokens outlive a failover; the round's
 * count stays exact.
 *
 * Every other expiry must cost exactly one token request. Over the whole run: 0 `invalid_grant` answered by
 * the provider, 0 caller errors, every caller on the newest token after each expiry, the connection active.
 *
 *   JUNCTION_CHAOS_HISTORY=<file>: writes the connection workflow's history (decoded) there, for diagnosis.
 */
const EXPIRIES = 20;
const TTL_SECONDS = 8;
const REUSE_GRACE_SECONDS = 30;
/** The token endpoint is slow, so callers pile up on a refresh in flight while the old token runs out. */
const TOKEN_DELAY_MS = 1_500;
/** How long the provider holds the request (or its answer) in a kill round: time to find the worker. */
const HOLD_MS = 4_000;
/** The lifetime of tokens issued in a kill round: longer than a worker failover. */
const KILL_ROUND_TTL_SECONDS = 30;
const CACHES_PER_PROCESS = 100;
const CALLERS_PER_CACHE = 5;
const CALLERS = 2 * CACHES_PER_PROCESS * CALLERS_PER_CACHE;
/** `test-fast` refreshes this long before expiry (its `refreshMarginSeconds`). */
const REFRESH_MARGIN_MS = 1_000;
/** Callers treat a token as stale 1 s before it expires: when the workflow's own timer refreshes it. */
const CALLER_MIN_VALIDITY_MS = 1_000;
/** Under load each caller asks again after a random pause of up to this. */
const LOAD_PAUSE_MS = 300;

type Kill = 'answer lost' | 'request dropped';
const KILLS = new Map<number, Kill>([
  [6, 'answer lost'],
  [14, 'request dropped'],
]);

/** What the OAuth server must have counted in a round, by kind of round. */
const EXPECTED: Record<'normal' | Kill, Counted> = {
  normal: {
    tokenRequests: 1,
    refreshGrants: 1,
    answersLost: 0,
    dropped: 0,
    graceReuses: 0,
    invalidGrants: 0,
  },
  'answer lost': {
    tokenRequests: 2,
    refreshGrants: 2,
    answersLost: 1,
    dropped: 0,
    graceReuses: 1,
    invalidGrants: 0,
  },
  'request dropped': {
    tokenRequests: 2,
    refreshGrants: 1,
    answersLost: 0,
    dropped: 1,
    graceReuses: 0,
    invalidGrants: 0,
  },
};

interface Counted {
  tokenRequests: number;
  refreshGrants: number;
  answersLost: number;
  dropped: number;
  graceReuses: number;
  invalidGrants: number;
}

interface Round {
  expiry: number;
  kind: 'normal' | Kill;
  counted: Counted;
  /** Callers (of CALLERS) that got the workflow's newest token in the burst after the refresh. */
  onNewest: number;
  burstErrors: string[];
  load: LoadReport;
  killedPid?: number;
  /**
   * How long before the old token's expiry the new one was applied. A refresh starts at most the provider's
   * 1 s margin before expiry, so more than that means a refresh that no expiry called for.
   */
  appliedBeforeExpiryMs: number;
  seconds: number;
}

let env: ConnectionsEnv;
let configFile: string;
let connectionId: string | undefined;
let callers: FleetCaller[] = [];
const workers = new Map<number, ChildProcess>();

beforeAll(async () => {
  env = await startConnectionsEnv({ fastTtl: TTL_SECONDS, fastReuseGrace: REUSE_GRACE_SECONDS });
  const dir = mkdtempSync(join(tmpdir(), 'junction-chaos-connections-'));
  configFile = join(dir, 'junction.config.yaml');
  writeFileSync(configFile, stringify({ ...env.rawConfig, server: {} }));
});

afterAll(async () => {
  await Promise.all(callers.map((caller) => caller.stop()));
  if (connectionId) await env.admin('DELETE', `/connections/${connectionId}`).catch(() => undefined);
  await Promise.all([...workers.values()].map((worker) => killProcess(worker)));
  await env?.oauth.delayTokenRequests(0);
  await env?.stop();
});

async function startWorker(): Promise<ChildProcess> {
  const child = await startJunctionProcess('worker', {
    configFile,
    temporalAddress: testTemporalAddress(),
    name: 'connection worker',
  });
  workers.set(child.pid!, child);
  return child;
}

async function memo(id: string): Promise<ConnectionMemo> {
  const description = await env.junction.client.workflow.getHandle(`connection:${id}`).describe();
  return description.memo as unknown as ConnectionMemo;
}

/** The workflow's current token, as the short hash the caller processes report. */
async function newestToken(id: string): Promise<string> {
  return fingerprint(await env.junction.connections.credentials(id));
}

function counted(before: OAuthServerStats, after: OAuthServerStats): Counted {
  return {
    tokenRequests: after.tokenRequests - before.tokenRequests,
    refreshGrants: (after.grants.refresh_token ?? 0) - (before.grants.refresh_token ?? 0),
    answersLost: after.answersLost - before.answersLost,
    dropped: after.dropped - before.dropped,
    graceReuses: after.graceReuses - before.graceReuses,
    invalidGrants: after.invalidGrants - before.invalidGrants,
  };
}

/**
 * Waits until the provider holds the refresh's token request, finds the worker that runs the `requestToken`
 * activity (its identity is `<pid>@<host>`), SIGKILLs it and starts a replacement.
 */
async function killTheRefreshingWorker(id: string): Promise<{ pid: number; replacement: Promise<unknown> }> {
  await eventually(async () => (await env.oauth.stats()).holding > 0, {
    timeoutMs: (TTL_SECONDS + 30) * 1_000,
    intervalMs: 50,
    what: 'the refresh at the provider',
  });
  const description = await env.junction.client.workflow.getHandle(`connection:${id}`).describe();
  const activity = description.raw.pendingActivities?.find(
    (pending) => pending.activityType?.name === 'requestToken',
  );
  const pid = Number(activity?.lastWorkerIdentity?.split('@')[0]);
  const worker = workers.get(pid);
  if (!worker)
    throw new Error(`no worker of this test runs the refresh (identity ${activity?.lastWorkerIdentity})`);
  await killProcess(worker);
  workers.delete(pid);
  return { pid, replacement: startWorker() };
}

/** Runs one expiry: waits for the refresh (killing its worker if asked), then checks every caller. */
/** Where the previous expiry left off: its token, and the OAuth server's counts when it was counted. */
interface Checkpoint {
  token: string;
  expiresAt: string;
  stats: OAuthServerStats;
}

/**
 * Runs one expiry: waits for the new token (killing the refreshing worker if asked), then checks every caller.
 * Counting is contiguous (each expiry counts from where the last one stopped), so no token request goes
 * uncounted between two expiries.
 */
async function expiry(id: string, n: number, previous: Checkpoint) {
  const kind = KILLS.get(n) ?? 'normal';
  const before = previous.stats;
  const started = performance.now();
  if (kind !== 'normal') await env.oauth.setTokenLifetime(KILL_ROUND_TTL_SECONDS);
  if (kind === 'answer lost') await env.oauth.holdTokenAnswers(1, HOLD_MS);
  if (kind === 'request dropped') await env.oauth.holdTokenRequests(1, HOLD_MS);
  const killed = kind === 'normal' ? undefined : await killTheRefreshingWorker(id);
  const current = await eventually(
    async () => {
      const now = await memo(id);
      return now.expiresAt !== previous.expiresAt ? now : undefined;
    },
    { timeoutMs: (TTL_SECONDS + 40) * 1_000, intervalMs: 100, what: `the token after expiry ${n}` },
  );
  // A kill round is over once the provider has counted the held request or answer as gone.
  const after = await eventually(
    async () => {
      const stats = await env.oauth.stats();
      const sofar = counted(before, stats);
      return sofar.answersLost >= EXPECTED[kind].answersLost && sofar.dropped >= EXPECTED[kind].dropped
        ? stats
        : undefined;
    },
    { timeoutMs: HOLD_MS + 20_000, what: 'the held token request to be counted' },
  );
  if (kind !== 'normal') await env.oauth.setTokenLifetime(0);
  await killed?.replacement;
  const token = await newestToken(id);
  const bursts = await Promise.all(callers.map((caller) => caller.burst('stale')));
  const reports = await Promise.all(callers.map((caller) => caller.report()));
  const round: Round = {
    expiry: n,
    kind,
    counted: counted(before, after),
    onNewest: bursts.reduce(
      (sum, burst) => sum + (burst.tokens.length === 1 && burst.tokens[0] === token ? burst.ok : 0),
      0,
    ),
    burstErrors: bursts.flatMap((burst) => burst.errors),
    load: {
      type: 'load',
      id: 0,
      calls: reports.reduce((sum, r) => sum + r.calls, 0),
      errors: reports.flatMap((r) => r.errors),
      errorCount: reports.reduce((sum, r) => sum + r.errorCount, 0),
      tokens: [...new Set(reports.flatMap((r) => r.tokens))],
      slowestMs: Math.max(...reports.map((r) => r.slowestMs)),
    },
    killedPid: killed?.pid,
    appliedBeforeExpiryMs: Date.parse(previous.expiresAt) - Date.parse(current.lastRefreshAt!),
    seconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(`${describeRound(round)}\n`);
  return { round, next: { token, expiresAt: current.expiresAt!, stats: after } };
}

function describeRound(round: Round): string {
  const c = round.counted;
  const what =
    round.kind === 'answer lost'
      ? ` [worker ${round.killedPid} SIGKILLed while the provider held the answer of its refresh: the lost answer (rotated at the provider, never received) + 1 retry on another worker with the previous refresh token, inside the ${REUSE_GRACE_SECONDS} s reuse grace; this round's tokens live ${KILL_ROUND_TTL_SECONDS} s]`
      : round.kind === 'request dropped'
        ? ` [worker ${round.killedPid} SIGKILLed while the provider held its token request unread: the dropped request (never processed) + 1 retry with the same, unused refresh token; this round's tokens live ${KILL_ROUND_TTL_SECONDS} s]`
        : '';
  return (
    `expiry ${String(round.expiry).padStart(2)}/${EXPIRIES}${what}: ${c.tokenRequests} token request(s), ` +
    `${c.refreshGrants} refresh grant(s), ${c.answersLost} answer(s) lost, ${c.dropped} dropped, ` +
    `${c.graceReuses} reuse(s) in the grace, ${c.invalidGrants} invalid_grant; ` +
    `new token ${(-round.appliedBeforeExpiryMs / 1000).toFixed(1)} s after the old one expired; ` +
    `${round.onNewest}/${CALLERS} callers on the new token (${round.burstErrors.length} errors); ` +
    `under load ${round.load.calls} calls, ${round.load.errorCount} errors, slowest ${(round.load.slowestMs / 1000).toFixed(1)} s; ` +
    `${round.seconds.toFixed(1)} s`
  );
}

test(
  `1,000 callers on two workers while the token expires ${EXPIRIES} times, rotating refresh tokens, a worker killed mid-refresh: 0 invalid_grant, one token request per expiry`,
  async () => {
    const runStarted = performance.now();
    const id = uniqueName('chaos-conn');
    await authorizeWithoutBrowser(await env.connectLink('test-fast', id), { returnToPrefix: RETURN_TO });
    connectionId = id;
    // From here on the workflow and its refreshes run on the two worker processes only.
    await env.junction.stopWorker();
    await Promise.all([startWorker(), startWorker()]);
    callers = await Promise.all(
      [0, 1].map(() =>
        startFleetCaller({
          address: testTemporalAddress(),
          connectionId: id,
          caches: CACHES_PER_PROCESS,
          callersPerCache: CALLERS_PER_CACHE,
          minValidityMs: CALLER_MIN_VALIDITY_MS,
        }),
      ),
    );
    await env.oauth.delayTokenRequests(TOKEN_DELAY_MS);
    await Promise.all(callers.map((caller) => caller.load(LOAD_PAUSE_MS)));
    // Start between refreshes: a token with a few seconds left, so no refresh is in flight when counting starts.
    const first = await eventually(
      async () => {
        const now = await memo(id);
        return Date.parse(now.expiresAt!) - Date.now() > 3_000 ? now : undefined;
      },
      { timeoutMs: (TTL_SECONDS + 20) * 1_000, intervalMs: 100, what: 'a fresh token to start from' },
    );
    const statsAtStart = await env.oauth.stats();
    const setupSeconds = (performance.now() - runStarted) / 1000;
    let previous: Checkpoint = {
      token: await newestToken(id),
      expiresAt: first.expiresAt!,
      stats: statsAtStart,
    };
    const rounds: Round[] = [];
    const roundsStarted = performance.now();
    for (let n = 1; n <= EXPIRIES; n++) {
      const { round, next } = await expiry(id, n, previous);
      rounds.push(round);
      previous = next;
    }
    const roundsSeconds = (performance.now() - roundsStarted) / 1000;
    if (process.env.JUNCTION_CHAOS_HISTORY) {
      const stored = await readStoredHistory(env.junction.client, env.junction.codec, `connection:${id}`);
      writeFileSync(
        process.env.JUNCTION_CHAOS_HISTORY,
        JSON.stringify({ raw: stored.raw, decoded: stored.decoded }),
      );
    }
    const finalLoad = (await Promise.all(callers.map((caller) => caller.unload()))).reduce(
      (sum, r) => ({
        calls: sum.calls + r.calls,
        errors: [...sum.errors, ...r.errors],
        errorCount: sum.errorCount + r.errorCount,
      }),
      { calls: 0, errors: [] as string[], errorCount: 0 },
    );
    // Every caller ends on the newest token.
    const newest = await newestToken(id);
    const last = await Promise.all(callers.map((caller) => caller.burst('stale')));
    // The expiries' counts, contiguous from the start to the last expiry; invalid_grant up to now.
    const whole = counted(statsAtStart, previous.stats);
    const invalidGrants = (await env.oauth.stats()).invalidGrants - statsAtStart.invalidGrants;
    const status = (await env.admin('GET', `/connections/${id}`)).json;

    const perExpiry = rounds.map((round) => round.counted.tokenRequests);
    const callerErrors =
      rounds.reduce((sum, r) => sum + r.load.errorCount + r.burstErrors.length, 0) +
      finalLoad.errorCount +
      last.reduce((sum, burst) => sum + burst.errors.length, 0);
    process.stdout.write(
      [
        `connections chaos: ${rounds.length} expiries (${TTL_SECONDS} s tokens, rotating refresh tokens, ${REUSE_GRACE_SECONDS} s reuse grace, token endpoint ${TOKEN_DELAY_MS} ms), ${CALLERS} callers in ${2 * CACHES_PER_PROCESS} caches on 2 caller processes, 2 workers`,
        `  token requests per expiry: ${perExpiry.join(' ')} (the 2s are the kill rounds: the killed attempt + its retry)`,
        `  whole run: ${whole.tokenRequests} token requests, ${whole.refreshGrants} refresh grants, ${whole.answersLost} answer lost, ${whole.dropped} request dropped, ${whole.graceReuses} reuse in the grace, ${invalidGrants} invalid_grant (to the end of the run)`,
        `  callers: ${rounds.reduce((sum, r) => sum + r.load.calls, 0) + finalLoad.calls} calls under load, ${callerErrors} errors; at the end ${last.reduce((sum, b) => sum + b.ok, 0)}/${CALLERS} on the newest token; connection ${status?.state}`,
        `  workers killed: ${rounds
          .filter((r) => r.killedPid)
          .map((r) => `${r.killedPid} (expiry ${r.expiry}, ${r.kind})`)
          .join(', ')}`,
        `  ${setupSeconds.toFixed(0)} s setup, ${roundsSeconds.toFixed(0)} s for the expiries, ${((performance.now() - runStarted) / 1000).toFixed(0)} s in all`,
        '',
      ].join('\n'),
    );

    for (const round of rounds) {
      expect({ expiry: round.expiry, kind: round.kind, ...round.counted }).toEqual({
        expiry: round.expiry,
        kind: round.kind,
        ...EXPECTED[round.kind],
      });
      expect({ expiry: round.expiry, errors: [...round.burstErrors, ...round.load.errors] }).toEqual({
        expiry: round.expiry,
        errors: [],
      });
      expect({ expiry: round.expiry, onNewest: round.onNewest }).toEqual({
        expiry: round.expiry,
        onNewest: CALLERS,
      });
      expect(round.load.errorCount).toBe(0);
      // Each new token came from this expiry's refresh, not from a second refresh right after the last one.
      expect({ expiry: round.expiry, early: round.appliedBeforeExpiryMs > REFRESH_MARGIN_MS }).toEqual({
        expiry: round.expiry,
        early: false,
      });
    }

    expect(rounds.filter((round) => round.killedPid !== undefined)).toHaveLength(KILLS.size);
    expect(invalidGrants).toBe(0);
    expect(finalLoad.errors).toEqual([]);
    expect(callerErrors).toBe(0);
    expect(last.flatMap((burst) => burst.tokens)).toEqual([newest, newest]);
    expect(last.reduce((sum, burst) => sum + burst.ok, 0)).toBe(CALLERS);
    expect(status.state).toBe('active');
  },
  9 * 60_000,
);
