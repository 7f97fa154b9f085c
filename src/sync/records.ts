import { Ajv, type ValidateFunction } from 'ajv';
import { readDotPath } from '../shared/dotPath';
import { isOlderVersion } from './canonical';
import type { SyncDeclaration } from './declaration';
import type { IncomingRecord } from './store/recordStore';

/** A provider record that could not be stored, and why (the run goes on without it). */
export interface InvalidRecord {
  id?: string;
  reasons: string[];
}

/** The model's shape of a provider record: the declared mapping, or the record itself. */
export function toModel(sync: SyncDeclaration, providerRecord: unknown): Record<string, unknown> {
  if (!sync.mapping) {
    return providerRecord !== null && typeof providerRecord === 'object'
      ? (providerRecord as Record<string, unknown>)
      : {};
  }
  const model: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(sync.mapping)) {
    const value = readDotPath(providerRecord, path);
    if (value !== undefined) model[field] = value;
  }
  return model;
}

const asKey = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;

/**
 * Maps, validates and identifies a page's records for one sync: what the store gets, and what it refuses.
 * Compiled once per sync; pure apart from that.
 */
export class RecordShaper {
  private readonly validate: ValidateFunction;

  constructor(private readonly sync: SyncDeclaration) {
    this.validate = new Ajv({ allErrors: true, strict: false }).compile(sync.model);
  }

  /** Why the model refuses a record (model shape); empty when it accepts it. */
  problems(data: Record<string, unknown>): string[] {
    if (this.validate(data)) return [];
    return (this.validate.errors ?? []).map((e) => `${e.instancePath || '(record)'} ${e.message ?? ''}`);
  }

  /** The record's version (for "newer wins") and cursor value, read from the provider's shape. */
  version(providerRecord: unknown): string | undefined {
    const field = this.sync.versionField ?? this.sync.cursor?.field;
    return field ? asKey(readDotPath(providerRecord, field)) : undefined;
  }

  cursorValue(providerRecord: unknown): string | undefined {
    return this.sync.cursor ? asKey(readDotPath(providerRecord, this.sync.cursor.field)) : undefined;
  }

  shape(items: unknown[]): { records: IncomingRecord[]; invalid: InvalidRecord[]; cursorSeen?: string } {
    const records: IncomingRecord[] = [];
    const invalid: InvalidRecord[] = [];
    let cursorSeen: string | undefined;
    for (const item of items) {
      const data = toModel(this.sync, item);
      const id = asKey(readDotPath(data, this.sync.primaryKey));
      const deletion = this.sync.deletion;
      const deleted =
        deletion?.strategy === 'field' && readDotPath(item, deletion.field) === deletion.value
          ? true
          : undefined;
      if (id === undefined) {
        invalid.push({ reasons: [`no ${this.sync.primaryKey} (the primary key)`] });
        continue;
      }
      if (!deleted && !this.validate(data)) {
        const reasons = (this.validate.errors ?? []).map(
          (e) => `${e.instancePath || '(record)'} ${e.message ?? ''}`,
        );
        invalid.push({ id, reasons });
        continue;
      }
      const cursor = this.cursorValue(item);
      if (cursor !== undefined && (cursorSeen === undefined || isOlderVersion(cursorSeen, cursor)))
        cursorSeen = cursor;
      records.push({ id, data, version: this.version(item), ...(deleted ? { deleted } : {}) });
    }
    return { records, invalid, cursorSeen };
  }
}
