import fc from 'fast-check';
import { httpStatus } from '../../src/server/errorStatus';
import { JunctionError } from '../../src/shared/errors';
import { SCHEMES } from '../../src/webhooks/schemes';
import { SCHEME_CASES, sourceFor, verify } from '../helpers/schemeCases';
import type { Vector } from '../helpers/providers';

/** Header names every scheme reads, so random requests hit the parsing paths and not only "missing". */
const KNOWN_HEADERS = [
  ...new Set(SCHEME_CASES.flatMap((c) => c.signatureHeaders)),
  'webhook-id',
  'x-github-delivery',
  'x-github-event',
  'x-shopify-topic',
  'x-shopify-event-id',
  'x-shopify-webhook-id',
  'x-twilio-webhooks-signature-settings',
  'i-twilio-idempotency-token',
  'content-type',
];

const headerValue = fc.oneof(
  fc.string(),
  fc.stringMatching(/^(t=\d{1,10},)?(v1|v0|v1a|sha256|v0=)[=,][0-9a-zA-Z+/=]{0,90}$/),
  fc.constantFrom(
    'application/json',
    'application/x-www-form-urlencoded',
    String(Math.floor(Date.now() / 1000)),
  ),
);
const headers = fc.dictionary(fc.constantFrom(...KNOWN_HEADERS), headerValue);
const body = fc.oneof(
  fc.string(),
  fc.json(),
  fc.uint8Array({ maxLength: 256 }).map((b) => Buffer.from(b).toString('latin1')),
);

/** What Twilio's scheme signs of a form body, worked out here independently of the verifier. */
function twilioSignedText(body: Buffer): string {
  const byName = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(body.toString('utf8'))) {
    byName.set(name, (byName.get(name) ?? new Set()).add(value));
  }
  return [...byName.keys()]
    .sort()
    .map((name) =>
      [...byName.get(name)!]
        .sort()
        .map((value) => name + value)
        .join(''),
    )
    .join('');
}

function outcome(run: () => unknown): 'accepted' | 'rejected' {
  try {
    run();
    return 'accepted';
  } catch (error) {
    if (error instanceof JunctionError && httpStatus(error.code) >= 400 && httpStatus(error.code) < 500)
      return 'rejected';
    throw error; // anything else is a bug: the property fails
  }
}

describe.each(SCHEME_CASES)('$scheme verifier, on random input', (c) => {
  const key = c.newKey();
  const source = sourceFor(c.scheme, [key.configured]);

  test('never throws anything but a JunctionError answered 4xx, and never accepts', () => {
    fc.assert(
      fc.property(headers, body, fc.string(), (h, b, query) => {
        const vector: Vector = { headers: h, body: b, url: `/webhooks/x?${query}` };
        return outcome(() => verify(source, vector)) === 'rejected';
      }),
      { numRuns: 300 },
    );
  });

  test('a genuine request with any one byte of its body changed is never accepted', async () => {
    const genuine = await c.sign(key);
    expect(outcome(() => verify(source, genuine))).toBe('accepted');
    const bytes = Buffer.from(genuine.body, 'utf8');
    fc.assert(
      fc.property(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
        const changed = Buffer.from(bytes);
        changed[index] = (changed[index]! + delta) % 256;
        // Twilio signs the decoded form fields, sorted and concatenated name-value with no separator, so a
        // change that leaves that text the same is the same request under Twilio's scheme, not a forgery:
        // "=" turned into "&" re-splitting the same characters, "+" turned into a literal space (both decode
        // to a space), a percent-escape's hex digit changed only in case. Those are left out; any change of
        // what Twilio signs must be rejected.
        if (c.scheme === 'twilio') fc.pre(twilioSignedText(changed) !== twilioSignedText(bytes));
        const rawBody = changed;
        return (
          outcome(() =>
            SCHEMES[source.scheme].verify(
              { headers: genuine.headers, rawBody, url: genuine.url },
              source,
              Date.now(),
            ),
          ) === 'rejected'
        );
      }),
      { numRuns: 200 },
    );
  });
});
