// A real OAuth 2.0 / OpenID Connect server (oidc-provider) for Junction's tests, run as a loopback child
// process (oidc-provider is ESM-only). Configuration comes as JSON in argv[2]; it prints "READY <url>".
// Short-lived access tokens (per client: x_access_token_ttl), rotating refresh tokens, client credentials,
// private_key_jwt, an RFC 7523 JWT bearer grant, revocation, and plain HTML login and consent pages.
// /__admin/* lets a test count token requests, revoke every grant, or hold the next token request.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';
import { setTimeout } from 'node:timers';
import { URL, URLSearchParams } from 'node:url';
import Provider, { errors } from 'oidc-provider';
import * as jose from 'jose';

const options = JSON.parse(process.argv[2] ?? '{}');
const RESOURCE = 'urn:junction:test-api';
const store = new Map();
const stats = {
  tokenRequests: 0,
  grants: {},
  grantsByClient: {},
  revocations: 0,
  dropped: 0,
  holding: 0,
  answersLost: 0,
  // Token requests answered `invalid_grant`, and rotated refresh tokens accepted again inside a reuse grace.
  invalidGrants: 0,
  graceReuses: 0,
};
let holdNext = 0;
let holdMs = 0;
let delayMs = 0;
let holdAnswerNext = 0;
let holdAnswerMs = 0;
// Providers such as Okta and Xero still accept a rotated refresh token for a grace period; a client's
// x_refresh_token_reuse_grace sets it here.
const reuseGraceSeconds = (clientId) =>
  (options.clients ?? []).find((client) => client.client_id === clientId)?.x_refresh_token_reuse_grace ?? 0;

class MemoryAdapter {
  constructor(name) {
    this.name = name;
  }
  key(id) {
    return `${this.name}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    store.set(this.key(id), { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }
  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry || (entry.expiresAt && entry.expiresAt < Date.now())) return undefined;
    const { consumed, ...rest } = entry.payload;
    // Within the reuse grace a consumed refresh token reads as unused: the provider accepts it once more.
    if (
      consumed &&
      this.name === 'RefreshToken' &&
      Date.now() / 1000 - consumed < reuseGraceSeconds(entry.payload.clientId)
    ) {
      stats.graceReuses++;
      return rest;
    }
    return entry.payload;
  }
  async findByUid(uid) {
    for (const [key, entry] of store)
      if (key.startsWith(`${this.name}:`) && entry.payload.uid === uid) return entry.payload;
    return undefined;
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
  }
}

// What each client's provider needs, as its documentation states (built-in provider tests):
// { method, pkce, authorizationParams, scopeSeparator, requiredScopes }. A request that does not
// meet them is answered 400 "expectation failed", so a declaration with a typo fails its test.
const expectations = options.expectations ?? {};
// Provider paths (after the host override) → this server's endpoints: { '/host-x/oauth/token': '/token' }.
const pathAliases = options.pathAliases ?? {};
// Provider token and revocation paths → the client whose expectation (`method`) they are checked against.
const tokenPathClients = options.tokenPathClients ?? {};
const KNOWN_SCOPES = new Set(['api:read', 'api:write']);

/** Checks an authorization request against its client's expectation; returns the query to pass on. */
function checkAuthorizationRequest(url) {
  const query = url.searchParams;
  const expected = expectations[query.get('client_id')];
  if (!expected) return { query };
  const problems = [];
  const hasChallenge = query.has('code_challenge');
  if (expected.pkce && (!hasChallenge || query.get('code_challenge_method') !== 'S256'))
    problems.push('PKCE S256 challenge missing');
  if (!expected.pkce && hasChallenge) problems.push('PKCE sent to a provider that does not use it');
  for (const [name, value] of Object.entries(expected.authorizationParams ?? {})) {
    if (query.get(name) !== value) problems.push(`${name} must be ${value}, got ${query.get(name)}`);
  }
  const separator = expected.scopeSeparator ?? ' ';
  const scopes = (query.get('scope') ?? '').split(separator).filter(Boolean);
  for (const scope of scopes) {
    if (/[\s,]/.test(scope)) problems.push(`scope "${scope}" is not separated by "${separator}"`);
  }
  for (const scope of expected.requiredScopes ?? []) {
    if (!scopes.includes(scope)) problems.push(`scope ${scope} is required`);
  }
  if (problems.length > 0) return { problems };
  // Pass on what oidc-provider understands: the provider's own parameters (besides prompt) and scopes
  // are checked above; the token grants this server's test scope.
  const passed = new URLSearchParams(query);
  for (const name of Object.keys(expected.authorizationParams ?? {}))
    if (name !== 'prompt') passed.delete(name);
  const known = scopes.filter((scope) => KNOWN_SCOPES.has(scope));
  passed.set('scope', (known.length > 0 ? known : ['api:read']).join(' '));
  return { query: passed };
}

const trustedAssertionIssuers = new Map(
  (options.assertionIssuers ?? []).map((entry) => [entry.iss, entry.jwk]),
);

const port = options.port ?? 0;
const server = createServer();
await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

// /__admin/token-ttl sets the lifetime of every access token issued from then on (0: each client's own).
let ttlOverride = 0;
const ttlFor = (client) => ttlOverride || (client?.x_access_token_ttl ?? options.accessTokenTtl ?? 60);

const provider = new Provider(issuer, {
  adapter: MemoryAdapter,
  clients: options.clients ?? [],
  extraClientMetadata: { properties: ['x_access_token_ttl', 'x_refresh_token_reuse_grace'] },
  findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  scopes: ['openid', 'offline_access', 'api:read', 'api:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, _resource, client) => ({
        scope: 'api:read api:write',
        accessTokenFormat: 'opaque',
        accessTokenTTL: ttlFor(client),
      }),
    },
  },
  // PKCE is required unless a provider expectation says the provider does not use it.
  pkce: { required: (_ctx, client) => expectations[client.clientId]?.pkce ?? true },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  ttl: {
    AccessToken: (_ctx, _token, client) => ttlFor(client),
    ClientCredentials: (_ctx, _token, client) => ttlFor(client),
    RefreshToken: () => 24 * 3600,
    Interaction: 600,
    Session: 3600,
    Grant: 24 * 3600,
    AuthorizationCode: 60,
  },
  clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
});
provider.proxy = false;

// RFC 7523 §2.1: the assertion is the grant. Verified against the issuers the test trusts.
provider.registerGrantType(
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  async (ctx) => {
    const { assertion, scope } = ctx.oidc.params;
    let claims;
    try {
      const header = jose.decodeProtectedHeader(assertion);
      const unverified = jose.decodeJwt(assertion);
      const jwk = trustedAssertionIssuers.get(unverified.iss);
      if (!jwk) throw new Error('untrusted issuer');
      const key = await jose.importJWK(jwk, header.alg);
      ({ payload: claims } = await jose.jwtVerify(assertion, key, {
        // This server's token endpoint, or a provider's audience after a test moved its host here.
        audience: [`${issuer}/token`, ...(options.assertionAudiences ?? [])],
        issuer: unverified.iss,
      }));
    } catch (error) {
      throw new errors.InvalidGrant(`assertion rejected: ${error.message}`);
    }
    const token = new ctx.oidc.provider.ClientCredentials({
      client: ctx.oidc.client,
      scope: scope || undefined,
    });
    token.extra = { sub: claims.sub };
    const value = await token.save();
    ctx.body = {
      access_token: value,
      expires_in: token.expiration,
      token_type: 'Bearer',
      scope: token.scope,
    };
  },
  ['assertion', 'scope'],
);

provider.on('grant.success', (ctx) => {
  const type = ctx.oidc.params.grant_type;
  stats.grants[type] = (stats.grants[type] ?? 0) + 1;
  const client = ctx.oidc.client?.clientId ?? '?';
  stats.grantsByClient[client] = (stats.grantsByClient[client] ?? 0) + 1;
});
provider.on('grant.error', (_ctx, error) => {
  if (error?.error === 'invalid_grant') stats.invalidGrants++;
});

const html = (body) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>Test OAuth server</title></head><body>${body}</body></html>`;

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (req.method === 'GET') {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    if (details.prompt.name === 'login') {
      res.end(
        html(`<h1>Sign in</h1><form method="post" action="/interaction/${uid}/login">
<label>User <input name="login" id="login"></label> <label>Password <input type="password" name="password" id="password"></label>
<button type="submit" id="sign-in">Sign in</button></form>`),
      );
    } else {
      res.end(
        html(`<h1>Authorize ${details.params.client_id}</h1><p>Scopes: ${details.params.scope ?? ''}</p>
<form method="post" action="/interaction/${uid}/confirm"><button type="submit" id="allow">Allow</button></form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit" id="deny">Deny</button></form>`),
      );
    }
    return;
  }
  const form = await readForm(req);
  if (action === 'login') {
    if (!form.get('login') || form.get('password') !== 'secret-password') {
      res.statusCode = 401;
      res.end(html('<p id="error">Wrong password</p>'));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: form.get('login') } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  if (action === 'abort') {
    await provider.interactionFinished(
      req,
      res,
      { error: 'access_denied', error_description: 'the user said no' },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  const missing = details.prompt.details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

const callback = provider.callback();
server.on('request', async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname.startsWith('/__admin/')) {
      res.setHeader('content-type', 'application/json');
      if (url.pathname === '/__admin/stats') return res.end(JSON.stringify(stats));
      if (url.pathname === '/__admin/reset') {
        stats.tokenRequests = 0;
        stats.grants = {};
        stats.grantsByClient = {};
        stats.revocations = 0;
        stats.invalidGrants = 0;
        stats.graceReuses = 0;
        return res.end('{}');
      }
      if (url.pathname === '/__admin/revoke-grants') {
        let removed = 0;
        for (const key of [...store.keys()]) {
          if (/^(Grant|RefreshToken|AccessToken):/.test(key)) {
            store.delete(key);
            removed++;
          }
        }
        return res.end(JSON.stringify({ removed }));
      }
      if (url.pathname === '/__admin/delay-token') {
        delayMs = Number(url.searchParams.get('ms') ?? 0);
        return res.end('{}');
      }
      if (url.pathname === '/__admin/token-ttl') {
        ttlOverride = Number(url.searchParams.get('seconds') ?? 0);
        return res.end('{}');
      }
      if (url.pathname === '/__admin/hold-token-answer') {
        holdAnswerNext = Number(url.searchParams.get('count') ?? 1);
        holdAnswerMs = Number(url.searchParams.get('ms') ?? 5000);
        return res.end('{}');
      }
      if (url.pathname === '/__admin/hold-token') {
        holdNext = Number(url.searchParams.get('count') ?? 1);
        holdMs = Number(url.searchParams.get('ms') ?? 5000);
        return res.end('{}');
      }
      res.statusCode = 404;
      return res.end('{}');
    }
    // oidc-provider accepts client_secret_basic and client_secret_post interchangeably; a provider does not.
    const tokenClient = tokenPathClients[url.pathname];
    const method = expectations[tokenClient]?.method;
    if (method && req.method === 'POST') {
      const basic = /^basic /i.test(req.headers.authorization ?? '');
      const problem =
        method === 'client_secret_basic' && !basic
          ? `${tokenClient}: the token endpoint takes HTTP Basic client authentication`
          : method === 'client_secret_post' && req.headers.authorization !== undefined
            ? `${tokenClient}: the token endpoint takes the client secret in the body, not a header`
            : undefined;
      if (problem) {
        stats.expectationFailures = [...(stats.expectationFailures ?? []), problem];
        res.statusCode = 401;
        res.setHeader('content-type', 'application/json');
        return res.end(
          JSON.stringify({ error: 'invalid_client', error_description: `expectation failed: ${problem}` }),
        );
      }
    }
    const alias = pathAliases[url.pathname];
    if (alias) {
      url.pathname = alias;
      req.url = `${url.pathname}${url.search}`;
    }
    if (url.pathname === '/auth' && req.method === 'GET') {
      const checked = checkAuthorizationRequest(url);
      if (checked.problems) {
        stats.expectationFailures = [...(stats.expectationFailures ?? []), ...checked.problems];
        res.statusCode = 400;
        res.setHeader('content-type', 'text/plain');
        return res.end(`expectation failed: ${checked.problems.join('; ')}`);
      }
      req.url = `/auth?${checked.query}`;
    }
    const match = /^\/interaction\/([^/]+)(?:\/(login|confirm|abort))?$/.exec(url.pathname);
    if (match) return await interaction(req, res, match[1], match[2]);
    if (url.pathname === '/token' && req.method === 'POST') {
      stats.tokenRequests++;
      if (holdNext > 0) {
        holdNext--;
        // Hold the request before the server looks at it; a client that gives up meanwhile (a killed
        // worker) leaves nothing processed, as when a request never reached the provider.
        let gone = false;
        req.socket.once('close', () => (gone = true));
        stats.holding++;
        await new Promise((resolve) => setTimeout(resolve, holdMs));
        stats.holding--;
        if (gone || req.socket.destroyed) {
          stats.dropped++;
          return;
        }
      }
      // A slow token endpoint: every request waits this long before it is looked at.
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (holdAnswerNext > 0) {
        holdAnswerNext--;
        // Process the request (the grant happens: a refresh token is rotated), then hold the answer. A
        // client that is gone meanwhile never learns the new tokens.
        let gone = false;
        req.socket.once('close', () => (gone = true));
        const end = res.end.bind(res);
        res.end = (...args) => {
          stats.holding++;
          setTimeout(() => {
            stats.holding--;
            if (gone || req.socket.destroyed) stats.answersLost++;
            else end(...args);
          }, holdAnswerMs);
          return res;
        };
      }
    }
    if (url.pathname === '/token/revocation') stats.revocations++;
    return callback(req, res);
  } catch (error) {
    res.statusCode = 500;
    res.end(String(error?.message ?? error));
  }
});

process.stdout.write(`READY ${issuer}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('disconnect', () => process.exit(0));
