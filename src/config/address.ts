/** A host as it goes into a URL: an IPv6 address in brackets (RFC 3986 §3.2.2), anything else as is. */
export function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
