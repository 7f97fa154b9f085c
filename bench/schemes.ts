/**
 * Verification cost per scheme: each verifier run in a tight loop over requests signed the way the provider
 * signs them, beside two baselines in the same run (parsing the JSON body; one HMAC-SHA256 over it), so
 * the figures read as "what verification adds". No I/O: microseconds of CPU per request.
 *
 *   npm run bench -- schemes        (JUNCTION_BENCH_VERIFY_MS per measurement, default 300)
 */
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { parseConfig } from '../src/config/load';
import type { SourceConfig } from '../src/config/schema';
import { SCHEMES, type SchemeId } from '../src/webhooks/schemes';
import type { InboundWebhook } from '../src/webhooks/schemes/scheme';
import { numberFromEnv } from './lib/env';

const MEASURE_MS = numberFromEnv('JUNCTION_BENCH_VERIFY_MS', 300);
const ROUNDS = 5;
const PUBLIC_URL = 'https://hooks.example.com/webhooks/bench';

/** A realistic ~1 KB event body. */
function body(scheme: SchemeId): string {
  const items = Array.from({ length: 8 }, (_, i) => ({ sku: `sku_${i}`, quantity: i + 1, price: 1999 }));
  const data = { id: 'ord_1', customer: 'cus_123', currency: 'eur', items, note: 'x'.repeat(200) };
  switch (scheme) {
    case 'slack':
      return JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev123',
        event: { type: 'message', ...data },
      });
    case 'sendgrid':
      return JSON.stringify(
        Array.from({ length: 4 }, (_, i) => ({ event: 'delivered', sg_event_id: `e${i}`, ...data })),
      );
    case 'twilio':
      return new URLSearchParams({
        MessageSid: 'SM1',
        From: '+15550001111',
        Body: data.note,
        SmsStatus: 'received',
      }).toString();
    default:
      return JSON.stringify({ id: 'evt_1', type: 'order.created', data });
  }
}

function setup(scheme: SchemeId): { source: SourceConfig; request: InboundWebhook } {
  const secret =
    scheme === 'standard-webhooks'
      ? `whsec_${randomBytes(24).toString('base64')}`
      : randomBytes(24).toString('hex');
  let privateKeyPem: string | undefined;
  let raw: Record<string, unknown> = { id: 'bench', scheme, secrets: [secret] };
  if (scheme === 'sendgrid') {
    const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    privateKeyPem = pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    raw = {
      id: 'bench',
      scheme,
      publicKeys: [pair.publicKey.export({ format: 'der', type: 'spki' }).toString('base64')],
    };
  }
  if (scheme === 'twilio') raw.publicUrl = PUBLIC_URL;
  const source = parseConfig({ sources: [raw] }, {}).sources[0] as SourceConfig;
  const contentType = scheme === 'twilio' ? 'application/x-www-form-urlencoded' : 'application/json';
  const signed = SCHEMES[scheme].sign(source, {
    body: body(scheme),
    eventType: 'orders/create',
    contentType,
    privateKeyPem,
  });
  return {
    source,
    request: {
      headers: signed.headers,
      rawBody: Buffer.from(signed.body),
      url: `/webhooks/bench${signed.query}`,
    },
  };
}

/** Standard Webhooks with an ed25519 (`v1a`) key instead of an HMAC secret. */
function setupV1a(): { source: SourceConfig; request: InboundWebhook } {
  const pair = generateKeyPairSync('ed25519');
  const whpk = `whpk_${Buffer.from(pair.publicKey.export({ format: 'jwk' }).x as string, 'base64url').toString('base64')}`;
  const source = parseConfig({ sources: [{ id: 'bench', scheme: 'standard-webhooks', secrets: [whpk] }] }, {})
    .sources[0] as SourceConfig;
  const signed = SCHEMES['standard-webhooks'].sign(source, {
    body: body('standard-webhooks'),
    privateKeyPem: pair.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  });
  return { source, request: { headers: signed.headers, rawBody: Buffer.from(signed.body) } };
}

/** Median microseconds per call over several timed rounds. */
function measure(operation: () => void): number {
  const perCall: number[] = [];
  for (let i = 0; i < 200; i++) operation(); // warm-up (JIT)
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(MEASURE_MS) * 1_000_000n;
    let now = started;
    while (now < deadline) {
      for (let i = 0; i < 50; i++) operation();
      calls += 50;
      now = process.hrtime.bigint();
    }
    perCall.push(Number(now - started) / 1_000 / calls);
  }
  return perCall.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)] as number;
}

export async function benchSchemes(): Promise<void> {
  const rows: Array<[string, number]> = [];
  const sample = Buffer.from(body('stripe'));
  const key = randomBytes(32);
  rows.push(['baseline: JSON.parse of the body', measure(() => void JSON.parse(sample.toString('utf8')))]);
  rows.push([
    'baseline: one HMAC-SHA256 over the body',
    measure(() => createHmac('sha256', key).update(sample).digest()),
  ]);
  const cases: Array<[string, { source: SourceConfig; request: InboundWebhook }]> = [
    ...(['stripe', 'github', 'slack', 'shopify', 'twilio', 'sendgrid', 'standard-webhooks'] as const).map(
      (scheme) =>
        [scheme === 'standard-webhooks' ? 'standard-webhooks (v1, HMAC)' : scheme, setup(scheme)] as [
          string,
          ReturnType<typeof setup>,
        ],
    ),
    ['standard-webhooks (v1a, ed25519)', setupV1a()],
  ];
  for (const [name, { source, request }] of cases) {
    const scheme = SCHEMES[source.scheme];
    const now = Date.now();
    scheme.verify(request, source, now); // throws if the vector were wrong: a benchmark of rejections proves nothing
    rows.push([name, measure(() => scheme.verify(request, source, now))]);
  }
  const width = Math.max(...rows.map(([name]) => name.length));
  process.stdout.write(
    `\nVerification cost per request (~1 KB bodies, median of ${ROUNDS} × ${MEASURE_MS} ms, one core)\n` +
      `${'scheme'.padEnd(width)}  µs/request\n` +
      rows.map(([name, us]) => `${name.padEnd(width)}  ${us.toFixed(2).padStart(10)}`).join('\n') +
      '\n',
  );
}
