import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** How the fake provider misbehaves, switchable while it runs. */
export interface Misbehaviour {
  /** Answer the next `count` requests with this status (500 bursts, 404s, …). */
  failNext?: { count: number; status: number; retryAfter?: string };
  /** Answer every request with 429 and this Retry-After until cleared. */
  throttle?: { retryAfter: string };
  /** Delay every answer by this many milliseconds (slow responses, timeouts). */
  delayMs?: number;
  /** Destroy the connection without answering for the next `count` requests. */
  resetNext?: number;
  /** Down: every request gets 503 (or a reset) until cleared. */
  outage?: { mode: 'status' | 'reset' };
}

export interface FakeProviderOptions {
  /** Items served by the list endpoints. */
  itemCount?: number;
  /**
   * Which bearer tokens are accepted; without it any `Authorization` is accepted and a missing one too.
   * Return false to answer 401 (an expired or revoked token).
   */
  acceptToken?: (token: string | undefined) => boolean;
  /** Quota per window, reported in `x-ratelimit-*` headers; exceeding it answers 429. */
  quota?: { limit: number; windowMs: number };
  host?: string;
  port?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: string;
  at: number;
  /** What the provider did: a status code, or "reset". */
  answer: number | 'reset';
}

export interface FakeProvider {
  url: string;
  requests: RecordedRequest[];
  misbehave(next: Misbehaviour): void;
  /** Back to normal: no failures, no delay, no outage. */
  recover(): void;
  /** Requests received in any sliding one-second window, at most. */
  maxPerSecond(): number;
  close(): Promise<void>;
}

interface Item {
  id: number;
  name: string;
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** What the fake provider holds while it runs. */
interface ProviderState {
  items: Item[];
  requests: RecordedRequest[];
  mode: Misbehaviour;
  /** When the current quota window opened (with its first request); none before the first request. */
  quotaWindowStart?: number;
  quotaUsed: number;
  /** Its own base URL, for `Link` headers; known once it listens. */
  url: string;
}

/** One request being answered; what the provider did goes on its record. */
interface Exchange {
  req: IncomingMessage;
  url: URL;
  body: string;
  /** Answers with JSON, after the configured delay. */
  answer(status: number, payload: unknown, headers?: Record<string, string>): void;
  /** Destroys the connection without an answer. */
  reset(): void;
}

/** The exchange for a recorded request: its answers, delayed as the misbehaviour says, land on the record. */
function openExchange(
  state: ProviderState,
  record: RecordedRequest,
  request: { req: IncomingMessage; res: ServerResponse; url: URL; body: string },
): Exchange {
  const { req, res, url, body } = request;
  return {
    req,
    url,
    body,
    answer(status, payload, headers = {}) {
      record.answer = status;
      const send = () => json(res, status, payload, headers);
      if (state.mode.delayMs) setTimeout(send, state.mode.delayMs);
      else send();
    },
    reset() {
      record.answer = 'reset';
      req.socket.destroy();
    },
  };
}

/** Answers as the switched-on misbehaviour says, if any applies; true when it did. */
function misbehave(mode: Misbehaviour, exchange: Exchange): boolean {
  if (mode.outage) {
    if (mode.outage.mode === 'reset') exchange.reset();
    else exchange.answer(503, { error: 'service unavailable' });
    return true;
  }
  if (mode.resetNext && mode.resetNext > 0) {
    mode.resetNext--;
    exchange.reset();
    return true;
  }
  if (mode.failNext && mode.failNext.count > 0) {
    mode.failNext.count--;
    const headers: Record<string, string> = mode.failNext.retryAfter
      ? { 'retry-after': mode.failNext.retryAfter }
      : {};
    exchange.answer(mode.failNext.status, { error: `injected ${mode.failNext.status}` }, headers);
    return true;
  }
  if (mode.throttle) {
    exchange.answer(429, { error: 'slow down' }, { 'retry-after': mode.throttle.retryAfter });
    return true;
  }
  return false;
}

/** The bearer token of the request, when its Authorization header carries one. */
function bearerToken(req: IncomingMessage): string | undefined {
  const authorization = req.headers.authorization;
  return authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
}

/**
 * Counts the request against the quota window: the `x-ratelimit-*` headers to answer with, and the
 * Retry-After to refuse it with once the quota is used up. A window opens with the first request after the
 * last one ran out (not when the provider starts), so how long callers take to get going does not use it up.
 */
function countQuota(
  state: ProviderState,
  quota: { limit: number; windowMs: number },
): { headers: Record<string, string>; retryAfter?: string } {
  const now = Date.now();
  if (state.quotaWindowStart === undefined || now - state.quotaWindowStart >= quota.windowMs) {
    state.quotaWindowStart = now;
    state.quotaUsed = 0;
  }
  state.quotaUsed++;
  const resetAt = Math.ceil((state.quotaWindowStart + quota.windowMs) / 1000);
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(quota.limit),
    'x-ratelimit-remaining': String(Math.max(0, quota.limit - state.quotaUsed)),
    'x-ratelimit-reset': String(resetAt),
  };
  if (state.quotaUsed <= quota.limit) return { headers };
  return { headers, retryAfter: String(Math.max(0, resetAt - Math.floor(now / 1000))) };
}

/** `POST /items`: adds the item named in the JSON body and echoes it. */
function createItem(state: ProviderState, exchange: Exchange, headers: Record<string, string>): void {
  let input: { name?: unknown };
  try {
    input = JSON.parse(exchange.body) as { name?: unknown };
  } catch {
    return exchange.answer(400, { error: 'body must be JSON' }, headers);
  }
  if (typeof input.name !== 'string') return exchange.answer(422, { error: 'name is required' }, headers);
  const item = { id: state.items.length + 1, name: input.name };
  state.items.push(item);
  return exchange.answer(201, item, headers);
}

/** The resources: items in three pagination styles, one item, item creation and `/whoami`. */
function serveResource(state: ProviderState, exchange: Exchange, headers: Record<string, string>): void {
  const { items } = state;
  const { req, url } = exchange;
  const query = url.searchParams;
  const limit = Math.min(Number(query.get('limit') ?? query.get('per_page') ?? 100) || 100, 500);
  if (req.method === 'GET' && url.pathname === '/items') {
    const start = Number(query.get('cursor') ?? 0) || 0;
    const page = items.slice(start, start + limit);
    const next = start + limit < items.length ? String(start + limit) : null;
    return exchange.answer(200, { data: page, next_cursor: next }, headers);
  }
  if (req.method === 'GET' && url.pathname === '/items/paged') {
    const pageNo = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const page = items.slice((pageNo - 1) * limit, pageNo * limit);
    if (pageNo * limit < items.length) {
      headers.link = `<${state.url}/items/paged?page=${pageNo + 1}&per_page=${limit}>; rel="next"`;
    }
    return exchange.answer(200, page, headers);
  }
  if (req.method === 'GET' && url.pathname === '/items/offset') {
    const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
    return exchange.answer(200, { items: items.slice(offset, offset + limit), total: items.length }, headers);
  }
  const byId = /^\/items\/(\d+)$/.exec(url.pathname);
  if (req.method === 'GET' && byId) {
    const item = items.find((candidate) => candidate.id === Number(byId[1]));
    return item ? exchange.answer(200, item, headers) : exchange.answer(404, { error: 'not found' }, headers);
  }
  if (req.method === 'POST' && url.pathname === '/items') return createItem(state, exchange, headers);
  if (url.pathname === '/whoami') {
    return exchange.answer(200, { authorization: req.headers.authorization ?? null }, headers);
  }
  return exchange.answer(404, { error: 'no such resource' }, headers);
}

/** Answers one request: `/_control`, else misbehaviour, the token check, the quota, then the resource. */
function handleRequest(
  state: ProviderState,
  options: FakeProviderOptions,
  request: { req: IncomingMessage; res: ServerResponse; body: string },
): void {
  const { req, res, body } = request;
  const url = new URL(req.url ?? '/', 'http://fake');
  if (url.pathname === '/_control') {
    state.mode = body ? (JSON.parse(body) as Misbehaviour) : {};
    return json(res, 200, { mode: state.mode });
  }
  const record: RecordedRequest = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.searchParams,
    headers: req.headers,
    body,
    at: Date.now(),
    answer: 200,
  };
  state.requests.push(record);
  const exchange = openExchange(state, record, { req, res, url, body });
  if (misbehave(state.mode, exchange)) return;
  if (options.acceptToken && !options.acceptToken(bearerToken(req))) {
    return exchange.answer(
      401,
      { error: 'invalid_token' },
      { 'www-authenticate': 'Bearer error="invalid_token"' },
    );
  }
  const quota = options.quota ? countQuota(state, options.quota) : { headers: {} };
  if (quota.retryAfter !== undefined) {
    return exchange.answer(
      429,
      { error: 'quota exceeded' },
      { ...quota.headers, 'retry-after': quota.retryAfter },
    );
  }
  serveResource(state, exchange, quota.headers);
}

/** The most requests received in any sliding one-second window. */
function maxPerSecond(requests: RecordedRequest[]): number {
  const times = requests.map((r) => r.at).sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] as number) - (times[start] as number) >= 1_000) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/**
 * A real HTTP server standing in for a SaaS API: paginated resources in the three common styles, an echo
 * endpoint, and misbehaviour that can be switched on while it runs (bursts of 500s, 429 with Retry-After,
 * slow answers, connection resets, outages, 401 for expired tokens). It counts every request it receives.
 *
 * - `GET /items?cursor=&limit=` → `{ data, next_cursor }` (cursor pagination)
 * - `GET /items/paged?page=&per_page=` → array with a `Link: <…>; rel="next"` header (RFC 8288)
 * - `GET /items/offset?offset=&limit=` → `{ items, total }` (offset pagination)
 * - `GET /items/:id`, `POST /items` (echoes the created item), `GET /whoami` (echoes the Authorization header)
 * - `POST /_control` with a JSON {@link Misbehaviour} (or `{}` to recover), for `junction dev --demo`.
 */
export async function startFakeProvider(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const state: ProviderState = {
    items: Array.from({ length: options.itemCount ?? 1_000 }, (_, i) => ({
      id: i + 1,
      name: `item ${i + 1}`,
    })),
    requests: [],
    mode: {},
    quotaUsed: 0,
    url: '',
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () =>
      handleRequest(state, options, { req, res, body: Buffer.concat(chunks).toString('utf8') }),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  state.url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url: state.url,
    requests: state.requests,
    misbehave(next) {
      state.mode = { ...state.mode, ...next };
    },
    recover() {
      state.mode = {};
    },
    maxPerSecond: () => maxPerSecond(state.requests),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
