import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { DestinationError } from '../shared/errors';

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Cidr = [Address, number];

/** Loopback in both families: what `junction dev` and the tests allow so local peers keep working. */
export const LOOPBACK_CIDRS: readonly string[] = ['127.0.0.0/8', '::1/128'];

/**
 * Ranges refused on top of every range ipaddr.js does not call `unicast`: IPv4-compatible IPv6 (deprecated,
 * RFC 4291 §2.5.5.1, `::a.b.c.d`), which can carry an IPv4 address past a check that only looks at IPv4.
 */
const EXTRA_REFUSED: ReadonlyArray<{ name: string; cidr: string; range: Cidr }> = [
  { name: 'ipv4Compatible', cidr: '::/96' },
].map((entry) => ({ ...entry, range: ipaddr.parseCIDR(entry.cidr) }));

/** Why an address is refused: the range's name (ipaddr.js's vocabulary) and, where known, its CIDR. */
export interface AddressRange {
  name: string;
  cidr?: string;
}

/** The CIDR of the named special range that contains `address`, from ipaddr.js's own range table. */
function specialRangeCidr(address: Address, name: string): string | undefined {
  const table = (address as unknown as { SpecialRanges?: Record<string, unknown> }).SpecialRanges;
  const entry = table?.[name];
  if (!Array.isArray(entry)) return undefined;
  const ranges = (Array.isArray(entry[0]) ? entry : [entry]) as Cidr[];
  const match = ranges.find(
    ([base, bits]) => base.kind() === address.kind() && address.match(base as never, bits),
  );
  return match ? `${match[0].toString()}/${match[1]}` : undefined;
}

/** Parses a CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address (a /32 or /128). */
export function parseCidr(value: string): Cidr {
  if (value.includes('/')) return ipaddr.parseCIDR(value);
  const address = ipaddr.parse(value);
  return [address, address.kind() === 'ipv4' ? 32 : 128];
}

/** Whether `value` is a CIDR or an address ipaddr.js accepts. */
export function isCidr(value: string): boolean {
  return ipaddr.isValidCIDR(value) || ipaddr.isValid(value);
}

/**
 * An IP literal as Node and URLs write it (`[::1]` and `::1` alike), or undefined for a name: exactly the
 * hosts Node connects to without a DNS lookup (`net.isIP`), so every other host passes the lookup hook.
 */
export function ipLiteral(host: string): string | undefined {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) !== 0 ? bare : undefined;
}

/**
 * The network policy for every outbound connection Junction makes: an address is allowed when it is global
 * unicast, or when it falls in `network.allowPrivate`. Everything else (loopback, RFC 1918 and fc00::/7,
 * link-local with the cloud metadata addresses, CGNAT, unspecified, multicast, broadcast, documentation and
 * other reserved ranges, IPv6 forms that embed an IPv4 address) is refused. An IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1`) is judged as the IPv4 address it is.
 */
export class DestinationPolicy {
  private readonly allowed: Cidr[];

  constructor(readonly allowPrivate: readonly string[]) {
    this.allowed = allowPrivate.map(parseCidr);
  }

  /** The special range `address` is in, or undefined for global unicast. Throws on a non-address. */
  static rangeOf(address: string): AddressRange | undefined {
    const parsed = ipaddr.process(address);
    const name = parsed.range();
    if (name !== 'unicast') return { name, cidr: specialRangeCidr(parsed, name) };
    for (const { name: extraName, cidr, range } of EXTRA_REFUSED) {
      if (parsed.kind() === range[0].kind() && parsed.match(range)) return { name: extraName, cidr };
    }
    return undefined;
  }

  /** Whether the allowlist holds `address` (an IPv4-mapped address as its IPv4 form). */
  private allowlisted(address: string): boolean {
    const parsed = ipaddr.process(address);
    return this.allowed.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
  }

  /**
   * The refusal for connecting to `address` on behalf of `host` (the name in the URL), or undefined when the
   * policy allows it. The error names the host, the address and the range, nothing else of the URL.
   */
  refusal(address: string, host: string): DestinationError | undefined {
    if (!ipaddr.isValid(address)) {
      return new DestinationError('destination_not_allowed', `${host}: "${address}" is not an IP address`, {
        details: { host, address },
      });
    }
    const range = DestinationPolicy.rangeOf(address);
    if (!range || this.allowlisted(address)) return undefined;
    const where = range.cidr ? `${range.name} range ${range.cidr}` : `${range.name} range`;
    const resolved = ipLiteral(host) === address ? host : `${host} (${address})`;
    return new DestinationError(
      'destination_not_allowed',
      `destination ${resolved} is in the ${where}; add it to network.allowPrivate to allow it`,
      { details: { host, address, range: range.name, ...(range.cidr ? { cidr: range.cidr } : {}) } },
    );
  }

  /** Throws the refusal for `address`, if any. */
  check(address: string, host: string): void {
    const refusal = this.refusal(address, host);
    if (refusal) throw refusal;
  }
}

/** The DestinationError in an error's cause chain (fetch wraps a failed connection in a TypeError). */
export function destinationRefusal(error: unknown): DestinationError | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 8; depth++) {
    if (current instanceof DestinationError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
