/** A value as a string literal of Temporal's visibility query language (quotes and backslashes escaped). */
export function visibilityLiteral(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
