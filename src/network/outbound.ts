import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch, type Dispatcher } from 'undici';
import { DestinationPolicy, ipLiteral } from './destinations';

/** Resolves a host name to every address it has (the order the resolver gave). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

/** The system resolver (getaddrinfo, as Node's own connections use), every address at once. */
export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/** A fetch for libraries that take one (oauth4webapi's `customFetch`): the same checks as every dispatcher. */
export type OutboundFetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * Every outbound HTTP connection Junction makes goes through here: undici dispatchers whose connector checks
 * the address actually dialed against the {@link DestinationPolicy}. A name is resolved once, every address
 * it has is checked, and the socket connects to those checked addresses (no second lookup an attacker's DNS
 * could answer differently); an IP literal, which Node dials without a lookup, is checked before dialing; and
 * the connected socket's remote address is checked again before a byte of the request is written.
 */
export interface Outbound {
  readonly policy: DestinationPolicy;
  /** The shared checked dispatcher (undici's default connect timeout). */
  dispatcher: Dispatcher;
  /** A checked dispatcher of its own (a provider's connect timeout and pool); closed with the rest. */
  agent(options: { connectTimeoutMs?: number }): Dispatcher;
  /** fetch through the default checked dispatcher. */
  fetch: OutboundFetch;
  /**
   * Checks a URL Junction sends a browser to rather than dialing (`returnTo`): its host, resolved alike. A
   * name this process cannot resolve passes: Junction never connects to it, and there is nothing to judge.
   */
  checkRedirectTarget(url: string): Promise<void>;
  /** Closes the dispatchers' pooled connections. */
  close(): Promise<void>;
}

export interface OutboundOptions {
  /** CIDRs allowed despite being private, loopback, link-local or otherwise special (`network.allowPrivate`). */
  allowPrivate: readonly string[];
  /** Name resolution (tests inject names that resolve into refused ranges); the system resolver by default. */
  resolve?: Resolver;
}

/** A `lookup` for net/tls.connect that resolves with `resolve` and fails when any address is refused. */
function checkedLookup(policy: DestinationPolicy, resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (found) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const addresses = family ? found.filter((entry) => entry.family === family) : found;
        const refusal = addresses.map((entry) => policy.refusal(entry.address, hostname)).find(Boolean);
        if (refusal) return callback(refusal, '', 0);
        const first = addresses[0];
        if (!first) {
          const error: NodeJS.ErrnoException = new Error(`no address for ${hostname}`);
          error.code = 'ENOTFOUND';
          return callback(error, '', 0);
        }
        if (options.all) return callback(null, addresses);
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

/** undici's connector, with the lookup above, an IP literal checked before dialing and the peer after. */
function checkedConnector(
  policy: DestinationPolicy,
  resolve: Resolver,
  connectTimeoutMs: number | undefined,
): buildConnector.connector {
  const connect = buildConnector({
    lookup: checkedLookup(policy, resolve),
    ...(connectTimeoutMs !== undefined ? { timeout: connectTimeoutMs } : {}),
  });
  return (options, callback) => {
    const literal = ipLiteral(options.hostname);
    const early = literal ? policy.refusal(literal, options.hostname) : undefined;
    if (early) return callback(early, null);
    connect(options, (error, connected) => {
      if (error) return callback(error, null);
      // The address actually dialed, checked before the request is written: defence in depth for the lookup.
      const remote = connected.remoteAddress;
      const refusal = remote
        ? policy.refusal(remote, options.hostname)
        : new Error(`the connection to ${options.hostname} closed before it was established`);
      if (refusal) {
        connected.destroy();
        return callback(refusal, null);
      }
      callback(null, connected);
    });
  };
}

/** The outbound network of one process: the policy and its checked dispatchers. */
export function createOutbound(options: OutboundOptions): Outbound {
  const policy = new DestinationPolicy(options.allowPrivate);
  const resolve = options.resolve ?? systemResolver;
  const agents: Agent[] = [];
  const agent = (settings: { connectTimeoutMs?: number }): Agent => {
    const created = new Agent({ connect: checkedConnector(policy, resolve, settings.connectTimeoutMs) });
    agents.push(created);
    return created;
  };
  const dispatcher = agent({});
  return {
    policy,
    dispatcher,
    agent,
    // undici's fetch with the checked dispatcher; its Response is a WHATWG Response like the global one.
    fetch: (url, init) =>
      undiciFetch(url, {
        ...(init as Parameters<typeof undiciFetch>[1]),
        dispatcher,
      }),
    checkRedirectTarget: async (url) => {
      const host = new URL(url).hostname;
      const literal = ipLiteral(host);
      const found = literal
        ? [literal]
        : await resolve(host).then(
            (entries) => entries.map((entry) => entry.address),
            () => [],
          );
      for (const address of found) policy.check(address, literal ?? host);
    },
    close: async () => {
      await Promise.all(agents.splice(0).map((each) => each.close()));
    },
  };
}
