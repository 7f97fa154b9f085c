import { randomBytes } from 'node:crypto';
import type { JunctionConfig } from '../config/schema';
import { buildCatalogue } from '../providers/catalogue';
import { ContactsProvider, contactsProviderDeclaration } from './syncProvider';
import { startFakeProvider, type FakeProvider } from './fakeProvider';

export const DEMO_PROVIDER_ID = 'demo';
export const DEMO_CONNECTION_ID = 'demo';
/** The syncable fake CRM: its provider and connection id. */
export const DEMO_CRM_ID = 'demo-crm';

export interface Demo {
  provider: FakeProvider;
  adminKey: string;
  /** After Junction is up: creates the demo connection through the API and returns how to try it. */
  connect(apiUrl: string): Promise<string[]>;
  stop(): Promise<void>;
}

/** Provider `demo` as a declaration: an API key, cursor pagination and three actions on the fake provider. */
function demoProviderDeclaration(apiBaseUrl: string): Record<string, unknown> {
  return {
    id: DEMO_PROVIDER_ID,
    displayName: 'Demo (fake provider)',
    auth: { mode: 'api_key', header: 'authorization', prefix: 'Bearer ' },
    apiBaseUrl,
    calls: {
      retry: 'standard',
      rateLimit: { perSecond: 20, quotaHeaders: {} },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 10_000 },
      pagination: {
        style: 'cursor',
        cursorParam: 'cursor',
        nextCursorPath: 'next_cursor',
        itemsPath: 'data',
      },
    },
    actions: {
      listItems: {
        method: 'GET',
        path: '/items',
        input: {
          type: 'object',
          properties: { cursor: { type: 'string' }, limit: { type: 'integer', minimum: 1, maximum: 500 } },
        },
      },
      getItem: {
        method: 'GET',
        path: '/items/{id}',
        input: { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } },
      },
      createItem: {
        method: 'POST',
        path: '/items',
        input: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 } },
          additionalProperties: false,
        },
      },
    },
  };
}

/**
 * Creates a demo connection through the API, replacing one an earlier demo run left with another key.
 * `demo` by default; `demo-crm` for the syncable CRM.
 */
async function createDemoConnection(
  apiUrl: string,
  adminKey: string,
  apiKey: string,
  id: { providerId: string; connectionId: string } = {
    providerId: DEMO_PROVIDER_ID,
    connectionId: DEMO_CONNECTION_ID,
  },
): Promise<void> {
  const create = () =>
    fetch(`${apiUrl}/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...id, credentials: { apiKey } }),
    });
  let response = await create();
  if (response.status === 409) {
    // Left from an earlier demo run with another key: replace it.
    await fetch(`${apiUrl}/connections/${id.connectionId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    response = await create();
  }
  if (response.status !== 201) {
    throw new Error(
      `the demo connection could not be created: HTTP ${response.status} ${await response.text()}`,
    );
  }
}

/** The banner lines telling a person how to try the demo. */
function demoInstructions(apiUrl: string, providerUrl: string, adminKey: string): string[] {
  const auth = `-H 'authorization: Bearer ${adminKey}'`;
  return [
    'Demo: a fake provider is running as provider "demo", with connection "demo".',
    `  Fake provider:  ${providerUrl}  (misbehave: curl -X POST ${providerUrl}/_control -d '{"outage":{"mode":"status"}}'; recover: -d '{}')`,
    `  Admin key:      ${adminKey}`,
    `  Try:            curl -X POST ${apiUrl}/actions/demo/getItem ${auth} -H 'content-type: application/json' -d '{"connectionId":"demo","input":{"id":7}}'`,
    `                  curl -X POST ${apiUrl}/actions/demo/createItem ${auth} -H 'content-type: application/json' -H 'idempotency-key: k1' -d '{"connectionId":"demo","input":{"name":"x"}}'`,
    'Sync: a fake CRM (provider "demo-crm", connection "demo-crm") whose contacts change every 20 s, synced into the embedded store.',
    `  Records:        curl '${apiUrl}/records/${DEMO_CRM_ID}/contacts?limit=5' ${auth}   (follow nextCursor for what changed)`,
    `  Drive it:       npx junction syncs status|run|pause|resume ${DEMO_CRM_ID} contacts`,
    `  Write back:     curl -X PATCH ${apiUrl}/records/${DEMO_CRM_ID}/contacts/c000001 ${auth} -H 'content-type: application/json' -d '{"name":"Ada"}'   (conflicts: npx junction conflicts list)`,
  ];
}

/**
 * `junction dev --demo`: a fake provider on loopback (paginated items, switchable misbehaviour) declared as
 * provider `demo` with actions, an admin key when none is configured, and a connection to it, so provider
 * calls can be tried without any account anywhere.
 */
export async function prepareDemo(config: JunctionConfig): Promise<Demo> {
  const apiKey = `demo_${randomBytes(12).toString('hex')}`;
  const provider = await startFakeProvider({
    acceptToken: (token) => token === apiKey,
    quota: { limit: 100, windowMs: 10_000 },
  });
  // A CRM whose contacts change over time: created, renamed and deleted every 20 s.
  const crm = await new ContactsProvider({ apiKey, initial: 250 }).start();
  const churn = setInterval(() => {
    const ids = crm.all().map((contact) => contact.id);
    crm.update(ids.slice(0, 3));
    crm.create(2);
    crm.remove(ids.slice(-1));
  }, 20_000);
  churn.unref();
  const declared = buildCatalogue([
    demoProviderDeclaration(provider.url),
    contactsProviderDeclaration(DEMO_CRM_ID, crm.url, { frequencySeconds: 30, enabledByDefault: true }),
  ]).filter((entry) => entry.id === DEMO_PROVIDER_ID || entry.id === DEMO_CRM_ID);
  config.providers = [
    ...config.providers.filter((entry) => entry.id !== DEMO_PROVIDER_ID && entry.id !== DEMO_CRM_ID),
    ...declared,
  ];
  const adminKey = config.admin.apiKeys[0] ?? `demo-admin-${randomBytes(16).toString('hex')}`;
  if (config.admin.apiKeys.length === 0) config.admin.apiKeys = [adminKey];

  return {
    provider,
    adminKey,
    async connect(apiUrl) {
      await createDemoConnection(apiUrl, adminKey, apiKey);
      await createDemoConnection(apiUrl, adminKey, apiKey, {
        providerId: DEMO_CRM_ID,
        connectionId: DEMO_CRM_ID,
      });
      return demoInstructions(apiUrl, provider.url, adminKey);
    },
    stop: async () => {
      clearInterval(churn);
      await Promise.all([provider.close(), crm.stop()]);
    },
  };
}
