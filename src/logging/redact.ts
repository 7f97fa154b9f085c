/**
 * Field names whose values are secret wherever they appear in a log object. pino's redaction works on
 * paths, so each name is listed at the depths Junction's log objects use.
 */
const SECRET_FIELDS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'secret',
  'secrets',
  'signature',
  'webhook-signature',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  'idToken',
  'id_token',
  'clientSecret',
  'client_secret',
  'password',
  'apiKey',
  'api_key',
  'privateKey',
  'codecKey',
];

const quote = (name: string) => (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `["${name}"]`);

/** Redaction paths for pino: top level, one level down and two levels down (e.g. `req.headers.authorization`). */
export const REDACT_PATHS: string[] = SECRET_FIELDS.flatMap((name) => [
  name.includes('-') ? `["${name}"]` : name,
  `*${quote(name)}`,
  `*.*${quote(name)}`,
]);

export const REDACTED = '[redacted]';
