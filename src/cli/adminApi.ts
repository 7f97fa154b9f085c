import { urlHost } from '../config/address';
import { loadConfig } from '../config/load';
import { AuthError, isJunctionCode, junctionError, RequestError } from '../shared/errors';

export interface AdminOptions {
  url?: string | string[];
  adminKey?: string;
}

/** Where Junction's API is (`--url`, else the config's server) and the admin key to call it with. */
export function adminTarget(options: AdminOptions): { bases: string[]; adminKey: string } {
  const { config } = loadConfig();
  const adminKey = options.adminKey ?? process.env.JUNCTION_ADMIN_KEY ?? config.admin.apiKeys[0];
  if (!adminKey) {
    throw new AuthError('unauthorized', 'no admin key: pass --admin-key or set JUNCTION_ADMIN_KEY');
  }
  const host = config.server.host === '0.0.0.0' ? '127.0.0.1' : config.server.host;
  const urls = options.url === undefined ? [] : [options.url].flat();
  const bases = (urls.length > 0 ? urls : [`http://${urlHost(host)}:${config.server.port}`]).map((url) =>
    url.replace(/\/$/, ''),
  );
  return { bases, adminKey };
}

/**
 * One call to Junction's admin API. An error answer becomes the JunctionError of its code (so the CLI
 * prints the server's code and message); an unreachable server is a clear `bad_request`.
 */
export async function adminCall<T>(
  base: string,
  adminKey: string,
  request: { method?: string; path: string; body?: unknown },
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${base}${request.path}`, {
      method: request.method ?? 'GET',
      headers: {
        authorization: `Bearer ${adminKey}`,
        accept: 'application/json',
        ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RequestError('bad_request', `cannot reach Junction at ${base}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text();
  if (response.status === 401) {
    throw new AuthError(
      'unauthorized',
      `${base} refused the admin key (set --admin-key or JUNCTION_ADMIN_KEY)`,
    );
  }
  if (!response.ok) {
    let answer: { code?: unknown; message?: unknown } = {};
    try {
      answer = JSON.parse(text) as typeof answer;
    } catch {
      // not JSON: reported below with the status
    }
    const message = typeof answer.message === 'string' ? answer.message : `${response.status}: ${text}`;
    throw isJunctionCode(answer.code)
      ? junctionError(answer.code, message)
      : new RequestError('internal_error', `${base}${request.path} answered ${message}`);
  }
  return JSON.parse(text) as T;
}
