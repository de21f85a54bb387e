import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook must not reach unless private networks are allowed: loopback, RFC 1918,
 * CGNAT, link-local (cloud metadata at 169.254.169.254), multicast, reserved, and their IPv6
 * counterparts (unique-local, link-local, IPv4-mapped).
 */
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

/** Whether an IP address is outside the public internet. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export class BlockedAddressError extends Error {
  constructor(address: string) {
    super(`refused to connect to non-public address ${address}`);
  }
}

/** dns.lookup that refuses non-public answers: checked on the address the socket will use. */
function safeLookup(hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '');
    const list = addresses as LookupAddress[];
    const bad = list.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(new BlockedAddressError(bad.address) as NodeJS.ErrnoException, '');
    if ((options as { all?: boolean }).all) return callback(null, list);
    callback(null, list[0].address, list[0].family);
  });
}

export interface PostResult {
  status: number | null;
  body: string;
  error: string | null;
  durationMs: number;
}

/**
 * POSTs a body and reads up to `maxBody` bytes of the answer. Never follows redirects (a 3xx is
 * a failure like any non-2xx). With `allowPrivate` false the connection is refused before it is
 * made when the host is, or resolves to, a non-public address.
 */
export function post(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean; maxBody?: number }): Promise<PostResult> {
  const started = performance.now();
  const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return resolve(done({ status: null, body: '', error: 'invalid URL' }));
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!opts.allowPrivate && isIP(host) && isPrivateAddress(host)) return resolve(done({ status: null, body: '', error: new BlockedAddressError(host).message }));
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Neptuno-Webhooks/1' },
        ...(opts.allowPrivate ? {} : { lookup: safeLookup as never }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const max = opts.maxBody ?? 1024;
        res.on('data', (c: Buffer) => {
          if (size < max) chunks.push(c.subarray(0, max - size));
          size += c.length;
        });
        res.on('end', () => resolve(done({ status: res.statusCode ?? null, body: Buffer.concat(chunks).toString('utf8'), error: null })));
        res.on('error', (e) => resolve(done({ status: res.statusCode ?? null, body: '', error: e.message })));
      },
    );
    // A bound on the whole exchange, not only on silence: a receiver trickling bytes is cut off too.
    const deadline = setTimeout(() => req.destroy(new Error(`timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('error', (e) => resolve(done({ status: null, body: '', error: e.message })));
    req.end(body);
  });
}
