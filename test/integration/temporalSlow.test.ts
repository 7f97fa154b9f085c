import { WorkflowNotFoundError } from '@temporalio/client';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import { newStandardSecret, signStandardWebhook, type SignedRequest } from '../helpers/sign';
import { startTcpProxy, type TcpProxy } from '../helpers/tcpProxy';
import { eventually, testTemporalAddress } from '../helpers/temporal';

/**
 * Temporal answering slowly, not down: a TCP proxy in front of the run's dev server holds every byte. The
 * server keeps at most `maxPendingStarts` webhooks waiting on Temporal, sheds the rest with 503 at once, and
 * answers the waiting ones 503 at the deadline; nothing it acknowledged is missing from Temporal.
 */
const secret = newStandardSecret();
const MAX_PENDING = 3;
let proxy: TcpProxy;
let junction: TestJunction;

beforeAll(async () => {
  proxy = await startTcpProxy(testTemporalAddress());
  junction = await startTestJunction(
    {
      server: { temporalTimeoutMs: 8_000, maxPendingStarts: MAX_PENDING },
      sources: [{ id: 'acme', scheme: 'standard-webhooks', secrets: [secret] }],
    },
    { temporalAddress: proxy.address, worker: false },
  );
});

afterAll(async () => {
  proxy?.release();
  await junction?.stop();
  await proxy?.close();
});

const send = (signed: SignedRequest) =>
  junction.post('/webhooks/acme', { headers: signed.headers, body: signed.body });

async function pendingStarts(): Promise<number> {
  const text = await (await fetch(`${junction.url}/metrics`)).text();
  return Number(/^junction_webhook_pending_starts (\d+)/m.exec(text)?.[1] ?? NaN);
}

async function stored(signed: SignedRequest): Promise<boolean> {
  try {
    await junction.client.workflow.getHandle(`webhook:acme:${signed.id}`).describe();
    return true;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

test('a slow Temporal: a bounded number wait, the rest are shed with 503 + Retry-After; nothing acknowledged is lost', async () => {
  const before = signStandardWebhook({ secret });
  expect((await send(before)).status).toBe(202);

  proxy.hold();
  const waiting = Array.from({ length: MAX_PENDING }, () => signStandardWebhook({ secret }));
  const waitingAnswers = waiting.map(send);
  await eventually(async () => (await pendingStarts()) === MAX_PENDING, { what: 'the pending starts' });

  // The cap is reached: further webhooks are answered at once, without touching Temporal.
  const shed = Array.from({ length: 5 }, () => signStandardWebhook({ secret }));
  for (const answer of await Promise.all(shed.map(send))) {
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('10');
    expect(await answer.json()).toEqual({
      code: 'temporal_overloaded',
      message: 'too many events are waiting on Temporal; retry later',
    });
  }
  // Bad input is still answered as bad input.
  const forged = signStandardWebhook({ secret: newStandardSecret() });
  expect((await send(forged)).status).toBe(401);

  // The waiting ones are answered 503 when their deadline passes, Temporal still silent.
  for (const answer of await Promise.all(waitingAnswers)) {
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('10');
    expect(((await answer.json()) as { code: string }).code).toBe('temporal_unavailable');
  }
  expect(await pendingStarts()).toBe(0);

  proxy.release();
  expect(await stored(before)).toBe(true);
  for (const signed of shed) expect(await stored(signed)).toBe(false);

  // Senders redeliver as asked; every event is then acknowledged, and every acknowledged one is stored.
  for (const signed of [...waiting, ...shed]) {
    const answer = await send(signed);
    expect(answer.status).toBe(202);
    expect(((await answer.json()) as { status: string }).status).toMatch(/^(accepted|duplicate)$/);
    expect(await stored(signed)).toBe(true);
  }
});
