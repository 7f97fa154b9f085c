import fc from 'fast-check';

/** A route as the server's OpenAPI document declares it. */
export interface RouteShape {
  method: string;
  /** The path template, `{name}` for each parameter. */
  path: string;
  query: string[];
}

/** One generated request, as bytes on the wire. */
export interface FuzzCase {
  /** What kind of malformation it carries, for the table. */
  kind: string;
  route: string;
  bytes: Buffer;
  head: boolean;
  /** Half-close after writing: the body is shorter than announced, the request can never complete. */
  truncated: boolean;
}

/** Headers a request may carry: a name and a raw value (anything, including CR, LF and NUL). */
type Header = [string, string];

export interface FuzzContext {
  port: number;
  routes: RouteShape[];
  /** Valid-looking values for path parameters by name (configured sources, built-in providers…). */
  known: Record<string, string[]>;
  /** Headers for a webhook signed with a key the server does not have, by source id. */
  forged: (source: string, body: string) => Promise<Record<string, string>> | Record<string, string>;
  /** Authorization values that are not valid (wrong keys, malformed). */
  badAuth: string[];
  bodyLimit: number;
}

const TRICK_SEGMENTS = [
  '..',
  '%2e%2e',
  '..%2f..%2fetc%2fpasswd',
  '%00',
  '%zz',
  '%',
  '%c0%ae',
  '%ff%fe',
  '',
  '%20',
  'a;b=c',
  '\\..\\',
  '%252e%252e',
  '%E2%80%AE',
  '__proto__',
  'constructor',
];

const raw = (max: number) => fc.string({ unit: 'binary', maxLength: max });
const printable = (max: number) => fc.string({ unit: 'grapheme-ascii', maxLength: max });

function segmentArb(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: known.length ? fc.constantFrom(...known) : printable(12) },
    { weight: 4, arbitrary: raw(40).map(encodeURIComponent) },
    { weight: 3, arbitrary: fc.constantFrom(...TRICK_SEGMENTS) },
    { weight: 1, arbitrary: raw(20) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n)) },
  );
}

function pathArb(route: RouteShape, known: FuzzContext['known']): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const values = fc.tuple(...names.map((name) => segmentArb(known[name] ?? [])));
  const query = fc.array(
    fc.tuple(
      fc.oneof(fc.constantFrom(...route.query, 'x', '__proto__'), raw(8)),
      fc.oneof(raw(30), printable(30)),
      fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    ),
    { maxLength: 4 },
  );
  const prefix = fc.constantFrom(
    '',
    '',
    '',
    '',
    '/',
    '//',
    '/./',
    '/../',
    '/%2e/',
    'http://evil.example',
    '*',
  );
  const suffix = fc.constantFrom('', '', '', '', '/', '?', '#f', '/..', ';a=b', '%00', '?a=1&a=2&a[b]=c');
  return fc.tuple(prefix, values, query, suffix).map(([pre, vals, q, suf]) => {
    let i = 0;
    const path = route.path.replace(/\{\w+\}/g, () => vals[i++] ?? '');
    // Mostly encoded as a client would; sometimes raw bytes in the request line.
    const search = q.map(
      ([k, v, encode]) => `${encodeURIComponent(k)}=${encode ? encodeURIComponent(v) : v}`,
    );
    return `${pre}${path}${search.length ? `?${search.join('&')}` : ''}${suf}`;
  });
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/xml',
  'multipart/form-data; boundary=x',
  'multipart/form-data',
  'application/octet-stream',
  '',
  ';;;',
  '*/*',
  'application/json\u0000',
  'appl\u00e9cation/json',
  'application/' + 'x'.repeat(3000),
];

function bodyArb(bodyLimit: number): fc.Arbitrary<{ kind: string; body: Buffer }> {
  const text = (kind: string, arb: fc.Arbitrary<string>) => arb.map((s) => ({ kind, body: Buffer.from(s) }));
  const deep = fc.integer({ min: 1_000, max: 20_000 });
  return fc.oneof(
    text('json', fc.json({ maxDepth: 4 })),
    text(
      'truncated json',
      fc.json({ maxDepth: 4 }).map((s) => s.slice(0, Math.floor(s.length / 2))),
    ),
    text(
      'form',
      fc.array(fc.tuple(raw(10), raw(20)), { maxLength: 6 }).map((p) => new URLSearchParams(p).toString()),
    ),
    text(
      'deep json',
      deep.map((n) => '['.repeat(n) + ']'.repeat(n)),
    ),
    text(
      'deep __proto__',
      deep.map((n) => '{"a":'.repeat(n) + '{"__proto__":{"x":1}}' + '}'.repeat(n)),
    ),
    text(
      'prototype keys',
      fc.constantFrom('{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"a":1}}}'),
    ),
    fc.uint8Array({ maxLength: 2_000 }).map((b) => ({ kind: 'random bytes', body: Buffer.from(b) })),
    fc
      .constantFrom([0xc0, 0xae], [0xff], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x28, 0xa1])
      .map((bad) => ({
        kind: 'invalid utf-8',
        body: Buffer.concat([Buffer.from('{"type":"x","v":"'), Buffer.from(bad), Buffer.from('"}')]),
      })),
    fc
      .integer({ min: bodyLimit + 1, max: bodyLimit * 2 })
      .map((n) => ({ kind: 'oversized', body: Buffer.alloc(n, 0x61) })),
    fc.constant({ kind: 'empty', body: Buffer.alloc(0) }),
  );
}

function headerArb(ctx: FuzzContext): fc.Arbitrary<{ kind: string; headers: Header[] }> {
  const value = fc.oneof({ weight: 9, arbitrary: printable(60) }, { weight: 1, arbitrary: raw(60) });
  const injected = fc.constantFrom(
    'x\r\nX-Injected: 1',
    'x\nX-Injected: 1',
    'x\rY',
    'a\u0000b',
    '\r\n\r\nGET / HTTP/1.1',
    'x'.repeat(20_000),
  );
  const named = (names: string[]) => fc.tuple(fc.constantFrom(...names), value);
  const signatureNames = [
    'stripe-signature',
    'x-hub-signature-256',
    'x-github-delivery',
    'x-github-event',
    'x-slack-signature',
    'x-slack-request-timestamp',
    'x-shopify-hmac-sha256',
    'x-shopify-event-id',
    'x-twilio-signature',
    'i-twilio-idempotency-token',
    'x-twilio-email-event-webhook-signature',
    'x-twilio-email-event-webhook-timestamp',
    'webhook-id',
    'webhook-timestamp',
    'webhook-signature',
  ];
  const kindOf = (kind: string) => (headers: Header[]) => ({ kind, headers });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.array(named(signatureNames), { maxLength: 6 }).map(kindOf('signature headers')),
    },
    {
      weight: 3,
      arbitrary: fc.constantFrom(...ctx.badAuth).map((a) => kindOf('bad auth')([['authorization', a]])),
    },
    {
      weight: 2,
      arbitrary: named(['cookie', 'origin', 'x-request-id', 'x-forwarded-for', 'accept']).map((h) =>
        kindOf('odd headers')([h]),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom('x-test', 'authorization', 'content-type', 'webhook-id'), injected)
        .map((h) => kindOf('header injection')([h])),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom<Header[]>(
          [['Bad Header', 'x']],
          [['', 'x']],
          [['x-a ', 'b']],
          [['x-fold', 'a\r\n b']],
          [['transfer-encoding', 'chunked']],
          [['transfer-encoding', 'gzip, chunked']],
          [['content-length', '-1']],
          [['content-length', '1, 2']],
          [['expect', '100-continue']],
          [
            ['host', 'a'],
            ['host', 'b'],
          ],
        )
        .map(kindOf('malformed headers')),
    },
  );
}

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
  'get',
  'G\u00c9T',
];

/** Generated requests over every route: the declared method mostly, malformed in one or more ways. */
export function fuzzCaseArb(ctx: FuzzContext): fc.Arbitrary<Promise<FuzzCase>> {
  // Webhooks are the route the internet reaches: a quarter of the requests, the rest over every other route.
  const webhooks = ctx.routes.filter((r) => r.path.startsWith('/webhooks/'));
  const others = ctx.routes.filter((r) => !r.path.startsWith('/webhooks/'));
  const routeArb = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom(...webhooks) },
    { weight: 3, arbitrary: fc.constantFrom(...others) },
  );
  const generic = routeArb.chain((route) =>
    fc
      .record({
        method: fc.oneof(
          { weight: 8, arbitrary: fc.constant(route.method) },
          { weight: 2, arbitrary: fc.constantFrom(...METHODS) },
        ),
        target: pathArb(route, ctx.known),
        contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 4 }),
        body: bodyArb(ctx.bodyLimit),
        extra: headerArb(ctx),
        framing: fc.constantFrom(
          'length',
          'length',
          'length',
          'length',
          'chunked',
          'short',
          'long',
          'bad-chunked',
          'http/1.0',
        ),
        forge: fc.boolean(),
      })
      .map(async (r) => {
        const source = /^\/webhooks\/([^/?#]+)(?:\?|$)/.exec(r.target)?.[1];
        const forged = source && r.forge ? await ctx.forged(source, r.body.body.toString('utf8')) : {};
        const headers: Header[] = [
          ['host', `127.0.0.1:${ctx.port}`],
          ...(r.contentType === null ? [] : [['content-type', r.contentType] as Header]),
          ...Object.entries(forged),
          ...r.extra.headers,
        ];
        const kind =
          Object.keys(forged).length > 0
            ? `forged ${source}`
            : `${r.body.kind}, ${r.extra.kind}, ${r.framing}`;
        return {
          kind,
          route: `${route.method} ${route.path}`,
          head: r.method === 'HEAD',
          truncated: r.framing === 'short',
          bytes: frame(r.method, r.target, headers, r.body.body, r.framing),
        };
      }),
  );
  return fc.oneof({ weight: 9, arbitrary: generic }, { weight: 1, arbitrary: forgedWebhookArb(ctx) });
}

/**
 * A well-formed webhook to a configured source, signed by its provider's library with a key the server does
 * not have, over any body: it must be refused by the signature check (or before), never started.
 */
function forgedWebhookArb(ctx: FuzzContext): fc.Arbitrary<Promise<FuzzCase>> {
  const sources = (ctx.known.source ?? []).filter((source) => source !== 'nope');
  return fc.record({ source: fc.constantFrom(...sources), body: bodyArb(ctx.bodyLimit) }).map(async (r) => {
    const forged = await ctx.forged(r.source, r.body.body.toString('utf8'));
    const headers: Header[] = [['host', `127.0.0.1:${ctx.port}`], ...Object.entries(forged)];
    return {
      kind: `forged ${r.source}`,
      route: 'POST /webhooks/{source}',
      head: false,
      truncated: false,
      bytes: frame('POST', `/webhooks/${r.source}`, headers, r.body.body, 'length'),
    };
  });
}

/** The request on the wire: request line, headers and the body framed as asked (or deliberately not). */
function frame(method: string, target: string, headers: Header[], body: Buffer, framing: string): Buffer {
  const version = framing === 'http/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
  const lines = [`${method} ${target} ${version}`, ...headers.map(([n, v]) => `${n}: ${v}`)];
  let payload = body;
  if (framing === 'chunked' || framing === 'bad-chunked') {
    lines.push('transfer-encoding: chunked');
    const size = framing === 'chunked' ? body.length.toString(16) : 'zz';
    payload = Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (framing === 'short') {
    lines.push(`content-length: ${body.length + 10}`);
  } else if (framing === 'long') {
    lines.push(`content-length: ${Math.floor(body.length / 2)}`);
  } else {
    lines.push(`content-length: ${body.length}`);
  }
  lines.push('connection: close');
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]);
}
