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
  'signingSecrets',
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

/**
 * Redaction paths for pino: each secret field at the top level and one level down (`err.token`,
 * `config.secrets`), plus inside the header objects Junction and its libraries log. Deeper wildcards
 * cost time on every line, so deeper secrets are kept out of log objects instead.
 */
export const REDACT_PATHS: string[] = [
  ...SECRET_FIELDS.flatMap((name) => [name.includes('-') ? `["${name}"]` : name, `*${quote(name)}`]),
  ...[
    'req.headers',
    'res.headers',
    'request.headers',
    'response.headers',
    'err.headers',
    'options.headers',
  ].flatMap((parent) => SECRET_FIELDS.map((name) => `${parent}${quote(name)}`)),
];

export const REDACTED = '[redacted]';
