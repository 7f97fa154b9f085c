import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';

export interface OAuthServerStats {
  tokenRequests: number;
  grants: Record<string, number>;
  /** Tokens granted, by client id (several connections of other clients may refresh at the same time). */
  grantsByClient: Record<string, number>;
  revocations: number;
  dropped: number;
  /** Token requests (or their answers) being held right now. */
  holding: number;
  /** Token requests that were processed but whose answer found the client gone. */
  answersLost: number;
  /** Token requests answered `invalid_grant` (a consumed refresh token outside the grace, a revoked grant...). */
  invalidGrants: number;
  /** Rotated (consumed) refresh tokens accepted once more because the client's reuse grace had not passed. */
  graceReuses: number;
}

export interface OAuthServer {
  issuer: string;
  stats(): Promise<OAuthServerStats>;
  reset(): Promise<void>;
  /** Removes every grant, refresh and access token: the provider revoked the user's authorization. */
  revokeAllGrants(): Promise<void>;
  /** Holds the next `count` token requests for `ms` before looking at them. */
  holdTokenRequests(count: number, ms: number): Promise<void>;
  /** Every token request waits `ms` before it is looked at (0: no delay): a slow token endpoint. */
  delayTokenRequests(ms: number): Promise<void>;
  /** Processes the next `count` token requests, then holds their answers for `ms` (a lost answer). */
  holdTokenAnswers(count: number, ms: number): Promise<void>;
  /** Access tokens issued from now on live `seconds` (0: each client's own lifetime again). */
  setTokenLifetime(seconds: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts the real oidc-provider server (test/oauthServer/server.mjs) as a loopback child process. */
export async function startOAuthServer(options: Record<string, unknown>): Promise<OAuthServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(__dirname, '..', 'oauthServer', 'server.mjs'), JSON.stringify(options)],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`oauth server did not start: ${errors}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const match = /READY (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1] as string);
      }
    });
    child.on('exit', (code) => reject(new Error(`oauth server exited with ${code}: ${errors}`)));
  });
  const admin = async (path: string) => {
    const response = await fetch(`${issuer}/__admin/${path}`, { method: 'POST' });
    return response.json();
  };
  return {
    issuer,
    stats: async () => (await (await fetch(`${issuer}/__admin/stats`)).json()) as OAuthServerStats,
    reset: async () => void (await admin('reset')),
    revokeAllGrants: async () => void (await admin('revoke-grants')),
    holdTokenRequests: async (count, ms) => void (await admin(`hold-token?count=${count}&ms=${ms}`)),
    delayTokenRequests: async (ms) => void (await admin(`delay-token?ms=${ms}`)),
    holdTokenAnswers: async (count, ms) => void (await admin(`hold-token-answer?count=${count}&ms=${ms}`)),
    setTokenLifetime: async (seconds) => void (await admin(`token-ttl?seconds=${seconds}`)),
    close: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** An RSA key pair as PKCS#8 PEM (what Junction is configured with) and public JWK (what the server trusts). */
export function rsaKeyPair(kid: string): { pem: string; jwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' },
  };
}

/**
 * Drives the authorization-code flow without a browser: follows redirects with a cookie jar, signs in and
 * answers the consent page (allow or deny), and returns the final redirect to the application (`returnTo`).
 */
export async function authorizeWithoutBrowser(
  connectUrl: string,
  options: { returnToPrefix: string; consent?: 'allow' | 'deny'; stopAtCallback?: boolean },
): Promise<{ finalUrl: string; callbackUrl: string | undefined }> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let url = connectUrl;
  let method = 'GET';
  let body: string | undefined;
  let callbackUrl: string | undefined;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(options.returnToPrefix)) return { finalUrl: url, callbackUrl };
    if (url.includes('/oauth/callback')) {
      callbackUrl = url;
      if (options.stopAtCallback) return { finalUrl: url, callbackUrl };
    }
    const response = await fetch(url, {
      method,
      body,
      redirect: 'manual',
      headers: {
        cookie: cookieHeader(),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...value] = (pair ?? '').split('=');
      if (name) jar.set(name.trim(), value.join('='));
    }
    method = 'GET';
    body = undefined;
    const location = response.headers.get('location');
    if (process.env.DEBUG_AUTHORIZE)
      process.stderr.write(`${method} ${url} -> ${response.status} ${location ?? ''}\n`);
    if (location) {
      url = new URL(location, url).toString();
      continue;
    }
    const page = await response.text();
    const uid = /\/interaction\/([^/]+)\/login/.exec(page)?.[1];
    if (uid) {
      url = new URL(`/interaction/${uid}/login`, url).toString();
      method = 'POST';
      body = 'login=alice&password=secret-password';
      continue;
    }
    const consent = /\/interaction\/([^/]+)\/confirm/.exec(page)?.[1];
    if (consent) {
      url = new URL(
        `/interaction/${consent}/${options.consent === 'deny' ? 'abort' : 'confirm'}`,
        url,
      ).toString();
      method = 'POST';
      body = '';
      continue;
    }
    throw new Error(`unexpected page at ${url} (${response.status}): ${page.slice(0, 300)}`);
  }
  throw new Error('too many redirects');
}
