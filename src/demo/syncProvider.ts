import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A contact as the fake CRM serves it: `updated_at` is a logical clock, so versions always order. */
export interface Contact {
  id: string;
  name: string;
  email: string;
  updated_at: number;
  /** Wall-clock time of the last change (what a `latest` conflict rule compares). */
  modified_at: string;
  archived?: boolean;
}

export interface ContactsProviderOptions {
  /** Contacts at start. */
  initial?: number;
  /** The API key it accepts (`Authorization: Bearer <key>`); anything else is 401. */
  apiKey?: string;
  /** Instead of one API key: which bearer tokens it accepts (an OAuth provider's access tokens). */
  acceptToken?: (token: string) => boolean;
  host?: string;
  port?: number;
}

/** Switchable misbehaviour: the next `count` list requests answer this status. */
export interface ContactsFaults {
  failNext?: { count: number; status: 429 | 500 | 401 | 503; retryAfter?: string };
  /** Answer list requests only after this long (a slow provider). */
  delayMs?: number;
  /** An outage: every request answers 503 until cleared. */
  down?: boolean;
  /** Called once a write (create, change, delete) has been carried out, before it is answered. */
  onWrite?: () => void;
}

/**
 * A small CRM with syncable contacts, for tests and `junction dev --demo`: cursor-paged listing filtered by
 * `updated_since` (inclusive), one contact by id, a "deleted since" listing, and mutations that move the
 * logical clock. It counts the pages it served, and misbehaves on request (429, 500, 401).
 */
export class ContactsProvider {
  private readonly contacts = new Map<string, Contact>();
  private readonly deleted = new Map<string, number>();
  private clock = 0;
  private nextId = 1;
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  /** Contacts ordered as listed (by `updated_at`, then id), kept until the next change. */
  private listed?: Contact[];
  faults: ContactsFaults = {};
  /** List pages served (answered 200), by `updated_since` (or "" for a full listing). */
  readonly pagesServed: string[] = [];
  /** The same pages with their paging cursor and the bearer token that asked (a page fetched twice shows). */
  readonly pageRequests: Array<{ updatedSince: string; cursor: string; token: string }> = [];
  /** List requests waiting out `faults.delayMs` right now (a page in flight). */
  slowRequests = 0;
  /** Every request's status. */
  readonly answers: number[] = [];
  /** Writes carried out (a replayed Idempotency-Key is not one). */
  readonly writes: Array<{ method: string; id: string; key?: string }> = [];
  private readonly idempotent = new Map<string, { status: number; body: unknown }>();

  constructor(private readonly options: ContactsProviderOptions) {
    this.create(options.initial ?? 0);
  }

  /** Adds `count` contacts; returns their ids. */
  create(count: number): string[] {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = this.newId();
      this.contacts.set(id, {
        id,
        name: `Contact ${id}`,
        email: `${id}@example.test`,
        updated_at: ++this.clock,
        modified_at: new Date().toISOString(),
      });
      ids.push(id);
    }
    this.listed = undefined;
    return ids;
  }

  /** Changes contacts' names (a new version each). */
  update(ids: string[], name: (id: string) => string = (id) => `Renamed ${id} @${this.clock}`): void {
    for (const id of ids) {
      const contact = this.contacts.get(id);
      if (contact) this.change(id, { name: name(id) });
    }
    this.listed = undefined;
  }

  /** Changes fields of a contact (a new version); undefined when there is no such contact. */
  change(id: string, fields: Partial<Pick<Contact, 'name' | 'email'>>): Contact | undefined {
    const contact = this.contacts.get(id);
    if (!contact) return undefined;
    const changed = {
      ...contact,
      ...fields,
      updated_at: ++this.clock,
      modified_at: new Date().toISOString(),
    };
    this.contacts.set(id, changed);
    this.listed = undefined;
    return changed;
  }

  /** Removes contacts (listed afterwards by the "deleted since" endpoint). */
  remove(ids: string[]): void {
    for (const id of ids) {
      if (this.contacts.delete(id)) this.deleted.set(id, ++this.clock);
    }
    this.listed = undefined;
  }

  get(id: string): Contact | undefined {
    return this.contacts.get(id);
  }

  all(): Contact[] {
    return [...this.contacts.values()];
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('the contacts provider is not listening');
    return `http://${this.options.host ?? '127.0.0.1'}:${address.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch(() => {
        response.writeHead(500).end();
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve) =>
      this.server?.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve),
    );
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ) {
    this.answers.push(status);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!this.authorized(request.headers.authorization)) {
      return this.send(response, 401, { error: 'unauthorized' });
    }
    if (this.faults.down) return this.send(response, 503, { error: 'down for maintenance' });
    if (request.method !== 'GET') return this.write(request, response, url);
    if (url.pathname === '/contacts' || url.pathname === '/contacts/deleted') {
      const fault = this.faults.failNext;
      if (fault && fault.count > 0) {
        fault.count--;
        const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': fault.retryAfter } : {};
        return this.send(response, fault.status, { error: 'injected' }, headers);
      }
      if (this.faults.delayMs) {
        this.slowRequests++;
        await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
        this.slowRequests--;
      }
    }
    if (url.pathname === '/contacts') {
      return this.list(url, response, (request.headers.authorization ?? '').slice('Bearer '.length));
    }
    if (url.pathname === '/contacts/deleted') return this.listDeleted(url, response);
    const one = /^\/contacts\/([^/]+)$/.exec(url.pathname);
    if (one) {
      const contact = this.contacts.get(decodeURIComponent(one[1] ?? ''));
      return contact ? this.send(response, 200, contact) : this.send(response, 404, { error: 'not_found' });
    }
    return this.send(response, 404, { error: 'no such endpoint' });
  }

  /**
   * `POST /contacts` (an id in the body is kept; 409 when taken), `PATCH /contacts/:id`, `DELETE
   * /contacts/:id`. An Idempotency-Key seen before answers what it answered then, doing nothing again.
   */
  private async write(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = (text ? JSON.parse(text) : {}) as Partial<Contact>;
    const key = request.headers['idempotency-key'] as string | undefined;
    const replay = key ? this.idempotent.get(key) : undefined;
    if (replay) return this.send(response, replay.status, replay.body);
    const [status, answer] = this.carryOut(request.method ?? '', url.pathname, body);
    if (status < 300) {
      this.writes.push({ method: request.method ?? '', id: (answer as Contact).id ?? '', key });
      if (key) this.idempotent.set(key, { status, body: answer });
      this.faults.onWrite?.();
    }
    return this.send(response, status, answer);
  }

  private carryOut(method: string, path: string, body: Partial<Contact>): [number, unknown] {
    const fields = {
      ...(typeof body.name === 'string' ? { name: body.name } : {}),
      ...(typeof body.email === 'string' ? { email: body.email } : {}),
    };
    if (fields.email !== undefined && !fields.email.includes('@'))
      return [422, { error: 'email is not valid' }];
    if (method === 'POST' && path === '/contacts') {
      const id = typeof body.id === 'string' && body.id !== '' ? body.id : this.newId();
      if (this.contacts.has(id)) return [409, { error: 'exists' }];
      const contact = { id, name: '', email: '', updated_at: 0, modified_at: '' };
      this.contacts.set(id, contact);
      this.deleted.delete(id);
      return [201, this.change(id, fields)];
    }
    const id = decodeURIComponent(/^\/contacts\/([^/]+)$/.exec(path)?.[1] ?? '');
    if (!this.contacts.has(id)) return [404, { error: 'not_found' }];
    if (method === 'PATCH') return [200, this.change(id, fields)];
    if (method === 'DELETE') {
      this.remove([id]);
      return [200, { id, deleted: true }];
    }
    return [405, { error: 'method not allowed' }];
  }

  private newId(): string {
    return `c${String(this.nextId++).padStart(6, '0')}`;
  }

  private authorized(header: string | undefined): boolean {
    const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
    if (token === undefined) return false;
    const { acceptToken, apiKey } = this.options;
    return acceptToken ? acceptToken(token) : token === apiKey;
  }

  /** `GET /contacts?updated_since=&cursor=&limit=`: ordered by (updated_at, id), inclusive of `updated_since`. */
  private list(url: URL, response: ServerResponse, token: string): void {
    const since = Number(url.searchParams.get('updated_since') ?? '0') || 0;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? '100') || 100, 500);
    const offset = Number(url.searchParams.get('cursor') ?? '0') || 0;
    // Sorted once per change, not per page: a listing of 100,000 contacts stays cheap (benchmarks use it).
    this.listed ??= this.all().sort((a, b) => a.updated_at - b.updated_at || a.id.localeCompare(b.id));
    const listed = this.listed;
    let first = 0;
    for (let last = listed.length; first < last;) {
      const middle = (first + last) >>> 1;
      if ((listed[middle] as Contact).updated_at < since) first = middle + 1;
      else last = middle;
    }
    const page = listed.slice(first + offset, first + offset + limit);
    const more = first + offset + limit < listed.length;
    this.pagesServed.push(url.searchParams.get('updated_since') ?? '');
    this.pageRequests.push({
      updatedSince: url.searchParams.get('updated_since') ?? '',
      cursor: url.searchParams.get('cursor') ?? '',
      token,
    });
    this.send(response, 200, { results: page, ...(more ? { next_cursor: String(offset + limit) } : {}) });
  }

  /** `GET /contacts/deleted?since=`: ids deleted at or after `since` (one page). */
  private listDeleted(url: URL, response: ServerResponse): void {
    const since = Number(url.searchParams.get('since') ?? '0') || 0;
    const results = [...this.deleted]
      .filter(([, at]) => at >= since)
      .map(([id, at]) => ({ id, deleted_at: at }));
    this.send(response, 200, { results });
  }
}

export { contactsProviderDeclaration, type ConflictsOption } from './contactsDeclaration';
