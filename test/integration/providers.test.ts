import { WorkflowNotFoundError } from '@temporalio/client';
import { startTestJunction, type TestJunction } from '../helpers/junction';
import type { Vector } from '../helpers/providers';
import * as p from '../helpers/providers';
import { SCHEME_CASES, TWILIO_PUBLIC_URL, rawSource, type SchemeKey } from '../helpers/schemeCases';
import { startTarget, type Target } from '../helpers/target';
import { eventually } from '../helpers/temporal';

const keys = new Map<string, SchemeKey>(SCHEME_CASES.map((c) => [c.scheme, c.newKey()]));
let target: Target;
let junction: TestJunction;

const sourceId = (scheme: string) => (scheme === 'standard-webhooks' ? 'sw' : scheme);

beforeAll(async () => {
  target = await startTarget();
  junction = await startTestJunction({
    sources: SCHEME_CASES.map((c) =>
      rawSource(c.scheme, [keys.get(c.scheme)!.configured], {
        routes: [{ events: ['*'], forward: { url: `${target.url}/${c.scheme}` } }],
      }),
    ),
  });
});

afterAll(async () => {
  await junction?.stop();
  await target?.close();
});

/** What Junction answered: JSON for every scheme, TwiML with the same facts in headers for Twilio. */
async function acknowledgement(response: Response): Promise<{ status: string; workflowId: string }> {
  if (response.headers.get('content-type')?.startsWith('text/xml')) {
    expect(await response.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    return {
      status: response.headers.get('junction-status') ?? '',
      workflowId: response.headers.get('junction-workflow-id') ?? '',
    };
  }
  return (await response.json()) as { status: string; workflowId: string };
}

/** Every signature sent, to check none of them reaches a log line. */
const signaturesSent: string[] = [];

async function post(scheme: string, vector: Vector) {
  for (const [name, value] of Object.entries(vector.headers)) {
    if (/signature|hmac/.test(name)) signaturesSent.push(value.replace(/^(sha256=|v0=|t=\d+,v1=)/, ''));
  }
  return fetch(`${junction.url}${vector.url ?? `/webhooks/${sourceId(scheme)}`}`, {
    method: 'POST',
    headers: vector.headers,
    body: vector.body,
  });
}

describe.each(SCHEME_CASES)('$scheme over HTTP', (c) => {
  test('signed by the provider library → 202 and delivered once; the redelivery → duplicate', async () => {
    const key = keys.get(c.scheme)!;
    const vector = await c.sign(key);
    const first = await post(c.scheme, vector);
    expect(first.status).toBe(c.scheme === 'twilio' ? 200 : 202);
    const answer = await acknowledgement(first);
    expect(answer.status).toBe('accepted');
    expect(answer.workflowId).toMatch(new RegExp(`^webhook:${sourceId(c.scheme)}:`));
    const expectedId = c.expected(vector).deliveryId;
    if (expectedId) expect(answer.workflowId).toBe(`webhook:${sourceId(c.scheme)}:${expectedId}`);

    const again = await post(c.scheme, vector);
    expect(await acknowledgement(again)).toEqual({ status: 'duplicate', workflowId: answer.workflowId });
    const status = await eventually(async () => {
      const s = await junction.junction.webhooks.deliveryStatus(answer.workflowId);
      return s.state === 'delivered' ? s : undefined;
    });
    expect(status.eventType).toBe(c.expected(vector).eventType);
    const received = target.requests.filter((r) => r.url === `/${c.scheme}`);
    expect(received).toHaveLength(1);
    expect(received[0]?.body.toString('utf8')).toBe(vector.body);
  });

  test('tampered → 401 invalid_signature, nothing started', async () => {
    const key = keys.get(c.scheme)!;
    const vector = await c.sign(key);
    const response = await post(c.scheme, { ...vector, body: `${vector.body} ` });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ code: 'invalid_signature' });
    const expectedId = c.expected(vector).deliveryId;
    if (expectedId) {
      await expect(
        junction.client.workflow.getHandle(`webhook:${sourceId(c.scheme)}:${expectedId}`).describe(),
      ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    }
  });
});

test('no secret, key or signature appears in the logs', () => {
  const everything = junction.logs.join('\n');
  for (const c of SCHEME_CASES) {
    const key = keys.get(c.scheme)!;
    if (typeof key.signing === 'string') expect(everything).not.toContain(key.signing);
  }
  expect(signaturesSent.length).toBeGreaterThan(10);
  for (const signature of signaturesSent) expect(everything).not.toContain(signature);
});

test('Slack url_verification: 200 with the challenge, nothing started', async () => {
  const secret = keys.get('slack')!.signing as string;
  const body = JSON.stringify({ token: 't', challenge: 'abc-123', type: 'url_verification' });
  const response = await post('slack', p.slackVector({ secret, body }));
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ challenge: 'abc-123' });
  await expect(
    junction.client.workflow.getHandle('webhook:slack:url_verification').describe(),
  ).rejects.toBeInstanceOf(WorkflowNotFoundError);
  const unsigned = await post('slack', { headers: { 'content-type': 'application/json' }, body });
  expect(unsigned.status).toBe(401);
});

test('Twilio behind a proxy: the signature covers the public URL, not the address Junction is reached at', async () => {
  const authToken = keys.get('twilio')!.signing as string;
  const vector = p.twilioFormVector({
    authToken,
    publicUrl: TWILIO_PUBLIC_URL,
    query: '?tenant=acme',
    token: `tok-${Date.now()}`,
  });
  expect(new URL(junction.url).host).not.toBe(new URL(TWILIO_PUBLIC_URL).host);
  const response = await post('twilio', vector);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
  expect(response.headers.get('junction-status')).toBe('accepted');
  const signedForJunctionUrl = p.twilioFormVector({
    authToken,
    publicUrl: `${junction.url}/webhooks/twilio`,
    token: 'tok-direct',
  });
  expect((await post('twilio', signedForJunctionUrl)).status).toBe(401);
});
