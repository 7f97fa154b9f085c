import { RequestError } from '../shared/errors';

/**
 * A value as a string literal of Temporal's visibility query language (quotes and backslashes escaped). A
 * control character is refused: a NUL in a list filter left the dev server's query unanswered, and no source,
 * provider, state or connection id contains one.
 */
export function visibilityLiteral(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new RequestError('bad_request', 'a filter value must not contain control characters');
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
