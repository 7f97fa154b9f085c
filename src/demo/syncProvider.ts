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
  apiKey: string;
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
  faults: ContactsFaults = {};
  /** List pages served (answered 200), by `updated_since` (or "" for a full listing). */
  readonly pagesServed: string[] = [];
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
    return ids;
  }

  /** Changes contacts' names (a new version each). */
  update(ids: string[], name: (id: string) => string = (id) => `Renamed ${id} @${this.clock}`): void {
    for (const id of ids) {
      const contact = this.contacts.get(id);
      if (contact) this.change(id, { name: name(id) });
    }
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
    return changed;
  }

  /** Removes contacts (listed afterwards by the "deleted since" endpoint). */
  remove(ids: string[]): void {
    for (const id of ids) {
      if (this.contacts.delete(id)) this.deleted.set(id, ++this.clock);
    }
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
    if (request.headers.authorization !== `Bearer ${this.options.apiKey}`) {
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
      if (this.faults.delayMs) await new Promise((resolve) => setTimeout(resolve, this.faults.delayMs));
    }
    if (url.pathname === '/contacts') return this.list(url, response);
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
    if (fields.email !== undefined && !fields.email.includes('@')) return [422, { error: 'email is not valid' }];
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

  /** `GET /contacts?updated_since=&cursor=&limit=`: ordered by (updated_at, id), inclusive of `updated_since`. */
  private list(url: URL, response: ServerResponse): void {
    const since = Number(url.searchParams.get('updated_since') ?? '0') || 0;
    const limit = Math.min(Number(url.searchParams.get('limit') ?? '100') || 100, 500);
    const offset = Number(url.searchParams.get('cursor') ?? '0') || 0;
    const matching = this.all()
      .filter((contact) => contact.updated_at >= since)
      .sort((a, b) => a.updated_at - b.updated_at || a.id.localeCompare(b.id));
    const page = matching.slice(offset, offset + limit);
    const more = offset + limit < matching.length;
    this.pagesServed.push(url.searchParams.get('updated_since') ?? '');
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

/** Conflict rules of the `contacts` sync (`manual` for every field unless given). */
export interface ConflictsOption {
  rule?: 'provider' | 'app' | 'latest' | 'preferNonEmpty' | 'manual';
  fields?: Record<string, 'provider' | 'app' | 'latest' | 'preferNonEmpty' | 'manual'>;
}

/**
 * The provider declaration of the fake CRM with its syncs: `contacts` (incremental by `updated_at`, deletes
 * from the "deleted since" endpoint) and `contacts_full` (full passes, deletes by reconcile under the guard).
 */
export function contactsProviderDeclaration(
  id: string,
  apiBaseUrl: string,
  options: { frequencySeconds?: number; enabledByDefault?: boolean; conflicts?: ConflictsOption } = {},
) {
  const model = {
    type: 'object',
    required: ['id', 'name', 'email'],
    properties: {
      id: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      updatedAt: { type: 'number' },
      modifiedAt: { type: 'string' },
    },
  };
  const mapping = {
    id: 'id',
    name: 'name',
    email: 'email',
    updatedAt: 'updated_at',
    modifiedAt: 'modified_at',
  };
  // Two-way: the application's creates, changes and deletes go back to the CRM.
  const writes = {
    create: { method: 'POST', path: '/contacts' },
    update: { method: 'PATCH', path: '/contacts/{id}' },
    delete: { method: 'DELETE', path: '/contacts/{id}' },
  };
  const conflicts = { modifiedField: 'modifiedAt', ...options.conflicts };
  const endpoint = { path: '/contacts', query: { limit: 100 }, recordPath: '/contacts/{id}' };
  return {
    id,
    displayName: 'Contacts (fake CRM)',
    auth: { mode: 'api_key' },
    apiBaseUrl,
    calls: {
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        nextCursorPath: 'next_cursor',
        itemsPath: 'results',
      },
    },
    syncs: {
      contacts: {
        description: 'Contacts, incremental by updated_at; deletes from /contacts/deleted',
        model,
        mapping,
        endpoint,
        primaryKey: 'id',
        mode: 'incremental',
        enabledByDefault: options.enabledByDefault ?? false,
        cursor: { param: 'updated_since', field: 'updated_at' },
        frequencySeconds: options.frequencySeconds ?? 300,
        writes,
        conflicts,
        deletion: {
          strategy: 'deleted-endpoint',
          path: '/contacts/deleted',
          sinceParam: 'since',
          itemsPath: 'results',
        },
      },
      contacts_full: {
        description: 'Contacts in full passes; records a complete pass did not see are deleted (guarded)',
        model,
        mapping,
        endpoint,
        primaryKey: 'id',
        mode: 'full',
        versionField: 'updated_at',
        frequencySeconds: options.frequencySeconds ?? 300,
        deletion: { strategy: 'full-reconcile' },
      },
    },
  };
}
