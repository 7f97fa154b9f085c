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
