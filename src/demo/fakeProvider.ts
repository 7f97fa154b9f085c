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
  const items: Item[] = Array.from({ length: options.itemCount ?? 1_000 }, (_, i) => ({
    id: i + 1,
    name: `item ${i + 1}`,
  }));
  const requests: RecordedRequest[] = [];
  let mode: Misbehaviour = {};
  let quotaWindowStart = Date.now();
  let quotaUsed = 0;
  const sockets = new Set<Socket>();
  let url = '';

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const parsed = new URL(req.url ?? '/', 'http://fake');
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: parsed.pathname,
      query: parsed.searchParams,
      headers: req.headers,
      body,
      at: Date.now(),
      answer: 200,
    };
    if (parsed.pathname === '/_control') {
      mode = body ? (JSON.parse(body) as Misbehaviour) : {};
      return json(res, 200, { mode });
    }
    requests.push(record);
    const answer = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      record.answer = status;
      const send = () => json(res, status, payload, headers);
      if (mode.delayMs) setTimeout(send, mode.delayMs);
      else send();
    };
    const reset = () => {
      record.answer = 'reset';
      req.socket.destroy();
    };

    if (mode.outage)
      return mode.outage.mode === 'reset' ? reset() : answer(503, { error: 'service unavailable' });
    if (mode.resetNext && mode.resetNext > 0) {
      mode.resetNext--;
      return reset();
    }
    if (mode.failNext && mode.failNext.count > 0) {
      mode.failNext.count--;
      const headers: Record<string, string> = mode.failNext.retryAfter
        ? { 'retry-after': mode.failNext.retryAfter }
        : {};
      return answer(mode.failNext.status, { error: `injected ${mode.failNext.status}` }, headers);
    }
    if (mode.throttle)
      return answer(429, { error: 'slow down' }, { 'retry-after': mode.throttle.retryAfter });

    const authorization = req.headers.authorization;
    const token = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    if (options.acceptToken && !options.acceptToken(token)) {
      return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }

    const headers: Record<string, string> = {};
    if (options.quota) {
      const now = Date.now();
      if (now - quotaWindowStart >= options.quota.windowMs) {
        quotaWindowStart = now;
        quotaUsed = 0;
      }
      quotaUsed++;
      const resetAt = Math.ceil((quotaWindowStart + options.quota.windowMs) / 1000);
      headers['x-ratelimit-limit'] = String(options.quota.limit);
      headers['x-ratelimit-remaining'] = String(Math.max(0, options.quota.limit - quotaUsed));
      headers['x-ratelimit-reset'] = String(resetAt);
      if (quotaUsed > options.quota.limit) {
        return answer(
          429,
          { error: 'quota exceeded' },
          { ...headers, 'retry-after': String(Math.max(0, resetAt - Math.floor(now / 1000))) },
        );
      }
    }

    const query = parsed.searchParams;
    const limit = Math.min(Number(query.get('limit') ?? query.get('per_page') ?? 100) || 100, 500);
    if (req.method === 'GET' && parsed.pathname === '/items') {
      const start = Number(query.get('cursor') ?? 0) || 0;
      const page = items.slice(start, start + limit);
      const next = start + limit < items.length ? String(start + limit) : null;
      return answer(200, { data: page, next_cursor: next }, headers);
    }
    if (req.method === 'GET' && parsed.pathname === '/items/paged') {
      const pageNo = Math.max(1, Number(query.get('page') ?? 1) || 1);
      const page = items.slice((pageNo - 1) * limit, pageNo * limit);
      if (pageNo * limit < items.length) {
        headers.link = `<${url}/items/paged?page=${pageNo + 1}&per_page=${limit}>; rel="next"`;
      }
      return answer(200, page, headers);
    }
    if (req.method === 'GET' && parsed.pathname === '/items/offset') {
      const offset = Math.max(0, Number(query.get('offset') ?? 0) || 0);
      return answer(200, { items: items.slice(offset, offset + limit), total: items.length }, headers);
    }
    const byId = /^\/items\/(\d+)$/.exec(parsed.pathname);
    if (req.method === 'GET' && byId) {
      const item = items.find((candidate) => candidate.id === Number(byId[1]));
      return item ? answer(200, item, headers) : answer(404, { error: 'not found' }, headers);
    }
    if (req.method === 'POST' && parsed.pathname === '/items') {
      let input: { name?: unknown };
      try {
        input = JSON.parse(body) as { name?: unknown };
      } catch {
        return answer(400, { error: 'body must be JSON' }, headers);
      }
      if (typeof input.name !== 'string') return answer(422, { error: 'name is required' }, headers);
      const item = { id: items.length + 1, name: input.name };
      items.push(item);
      return answer(201, item, headers);
    }
    if (parsed.pathname === '/whoami') return answer(200, { authorization: authorization ?? null }, headers);
    return answer(404, { error: 'no such resource' }, headers);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;

  return {
    url,
    requests,
    misbehave(next) {
      mode = { ...mode, ...next };
    },
    recover() {
      mode = {};
    },
    maxPerSecond() {
      const times = requests.map((r) => r.at).sort((a, b) => a - b);
      let best = 0;
      let start = 0;
      for (let end = 0; end < times.length; end++) {
        while ((times[end] as number) - (times[start] as number) >= 1_000) start++;
        best = Math.max(best, end - start + 1);
      }
      return best;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
