import { RequestError } from '../shared/errors';

const PREFIX = 'seq:';

/**
 * The change stream's cursor: opaque to the application (base64url), a position in the stream's commit
 * order inside. Following it from one page to the next never skips a change.
 */
export function encodeCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`, 'utf8').toString('base64url');
}

/** The position a cursor names: 0 (the beginning) when absent; `invalid_cursor` when it is not one of ours. */
export function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined || cursor === '') return 0;
  const text = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const match = /^seq:(0|[1-9][0-9]{0,15})$/.exec(text);
  if (!match) {
    throw new RequestError(
      'invalid_cursor',
      'cursor is not one this API gave out: pass `nextCursor` as it came',
    );
  }
  return Number(match[1]);
}
