import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Webhooks must not be turned against the platform's own network (SSRF): a webhook's host may
 * not resolve to a loopback, private, carrier-NAT, link-local (the cloud metadata address
 * 169.254.169.254 among them), unique-local, unspecified, multicast or reserved address, unless
 * the host is listed in LOG_ALERT_WEBHOOK_ALLOWED_HOSTS. The check is made on every address the
 * name resolves to, at creation and again before each delivery, and the delivery then connects
 * to the address checked (see webhook.ts), so a name that resolves differently the second time
 * (DNS rebinding) cannot switch it.
 */

export class WebhookAddressError extends Error {
  override name = 'WebhookAddressError';
}

interface Range {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  kind: string;
}

const RANGES: Range[] = [
  { address: '0.0.0.0', prefix: 8, family: 'ipv4', kind: 'unspecified' },
  { address: '10.0.0.0', prefix: 8, family: 'ipv4', kind: 'private' },
  { address: '100.64.0.0', prefix: 10, family: 'ipv4', kind: 'carrier-NAT' },
  { address: '127.0.0.0', prefix: 8, family: 'ipv4', kind: 'loopback' },
  { address: '169.254.0.0', prefix: 16, family: 'ipv4', kind: 'link-local' },
  { address: '172.16.0.0', prefix: 12, family: 'ipv4', kind: 'private' },
  { address: '192.0.0.0', prefix: 24, family: 'ipv4', kind: 'reserved' },
  { address: '192.0.2.0', prefix: 24, family: 'ipv4', kind: 'reserved' },
  { address: '192.88.99.0', prefix: 24, family: 'ipv4', kind: 'reserved' },
  { address: '192.168.0.0', prefix: 16, family: 'ipv4', kind: 'private' },
  { address: '198.18.0.0', prefix: 15, family: 'ipv4', kind: 'reserved' },
  { address: '198.51.100.0', prefix: 24, family: 'ipv4', kind: 'reserved' },
  { address: '203.0.113.0', prefix: 24, family: 'ipv4', kind: 'reserved' },
  { address: '224.0.0.0', prefix: 4, family: 'ipv4', kind: 'multicast' },
  { address: '240.0.0.0', prefix: 4, family: 'ipv4', kind: 'reserved' },
  { address: '::', prefix: 128, family: 'ipv6', kind: 'unspecified' },
  { address: '::1', prefix: 128, family: 'ipv6', kind: 'loopback' },
  { address: '::', prefix: 96, family: 'ipv6', kind: 'reserved' }, // IPv4-compatible, deprecated
  { address: '100::', prefix: 64, family: 'ipv6', kind: 'reserved' }, // discard
  { address: '2001::', prefix: 32, family: 'ipv6', kind: 'reserved' }, // Teredo: hides an IPv4 address
  { address: '2001:db8::', prefix: 32, family: 'ipv6', kind: 'reserved' },
  { address: 'fc00::', prefix: 7, family: 'ipv6', kind: 'unique-local' },
  { address: 'fe80::', prefix: 10, family: 'ipv6', kind: 'link-local' },
  { address: 'fec0::', prefix: 10, family: 'ipv6', kind: 'site-local' },
  { address: 'ff00::', prefix: 8, family: 'ipv6', kind: 'multicast' },
];

const lists = RANGES.map((range) => {
  const list = new BlockList();
  list.addSubnet(range.address, range.prefix, range.family);
  return { list, range };
});

/** The 16 bytes of an IPv6 address (which isIP accepted), dotted IPv4 tails included. */
function ipv6Bytes(address: string): number[] {
  let text = address.split('%')[0];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group || '0', 16);
    return [value >> 8, value & 0xff];
  });
}

/** The IPv4 address an IPv6 address carries (IPv4-mapped, NAT64, 6to4), if any. */
function embeddedIpv4(address: string): string | null {
  const bytes = ipv6Bytes(address);
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((byte) => byte === 0);
  const v4 = (at: number) => bytes.slice(at, at + 4).join('.');
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12); // ::ffff:a.b.c.d
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return v4(12); // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2); // 2002::/16
  return null;
}

/** Why an address may not receive webhooks ("loopback", "private", …), or null when it may. */
export function forbiddenAddressKind(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== null) return forbiddenAddressKind(inner);
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { list, range } of lists) {
    if (range.family === type && list.check(address, type)) return range.kind;
  }
  return null;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (as the connection would: getaddrinfo). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: HostResolver = async (hostname) => {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** The host names of LOG_ALERT_WEBHOOK_ALLOWED_HOSTS (comma-separated), lower-cased, without IPv6 brackets. */
export function parseAllowedHosts(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((host) => normalizeHost(host.trim()))
    .filter((host) => host !== '');
}

function normalizeHost(host: string): string {
  const lower = host.toLowerCase();
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

export interface WebhookTarget {
  url: URL;
  /** The host name as the URL gives it, without IPv6 brackets. */
  hostname: string;
  port: number;
  /** The address checked, which the delivery connects to. */
  address: ResolvedAddress;
}

export interface AddressPolicy {
  /** Hosts exempt from the address check (LOG_ALERT_WEBHOOK_ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
  resolve?: HostResolver;
}

/**
 * A webhook URL's syntax: http or https, a host, at most 2,000 characters. Returns the URL, or
 * throws a WebhookAddressError saying what is wrong (never repeating the URL, which may hold a
 * secret).
 */
export function parseWebhookUrl(text: string): URL {
  if (text.length > 2000) throw new WebhookAddressError('must be at most 2000 characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new WebhookAddressError('is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new WebhookAddressError('must be an http or https URL');
  if (url.hostname === '') throw new WebhookAddressError('must name a host');
  return url;
}

/**
 * Resolves the URL's host and checks every address it resolves to; returns the target to
 * connect to (the first address), or throws a WebhookAddressError.
 */
export async function resolveWebhookTarget(url: URL, policy: AddressPolicy): Promise<WebhookTarget> {
  const hostname = normalizeHost(url.hostname);
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const allowed = policy.allowedHosts.includes(hostname);
  let addresses: ResolvedAddress[];
  const literal = isIP(hostname);
  if (literal !== 0) {
    addresses = [{ address: hostname, family: literal === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (policy.resolve ?? systemResolver)(hostname);
    } catch {
      throw new WebhookAddressError(`its host ${hostname} does not resolve`);
    }
    if (addresses.length === 0) throw new WebhookAddressError(`its host ${hostname} does not resolve`);
  }
  if (!allowed) {
    for (const { address } of addresses) {
      const kind = forbiddenAddressKind(address);
      if (kind !== null) {
        const how = literal !== 0 ? `${hostname} is` : `its host ${hostname} resolves to ${address},`;
        throw new WebhookAddressError(
          `${how} a ${kind} address, which webhooks may not reach (unless the host is in LOG_ALERT_WEBHOOK_ALLOWED_HOSTS)`,
        );
      }
    }
  }
  return { url, hostname, port, address: addresses[0] };
}
