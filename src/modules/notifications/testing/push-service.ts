import { createDecipheriv, createECDH, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, importJWK, jwtVerify, type JWTPayload } from 'jose';
import { selfSignedCert } from './tls.js';

/** What a browser holds for one subscription: the public part goes to the app, the private key stays here. */
export interface FakeBrowserSubscription {
  id: string;
  endpoint: string;
  keys: { p256dh: string; auth: string };
  /** The user agent's ECDH key pair and auth secret (RFC 8291 §3). */
  ecdh: ReturnType<typeof createECDH>;
  authSecret: Buffer;
}

export interface ReceivedPush {
  subscriptionId: string;
  /** The decrypted payload, parsed. */
  payload: unknown;
  claims: JWTPayload;
  vapidKey: string;
  ttl: number;
  urgency: string | null;
}

/**
 * A local push service speaking RFC 8030 with the checks real ones make: the VAPID
 * `Authorization: vapid t=<JWT>, k=<key>` header (RFC 8292: ES256 JWT signed by `k`, `aud` the
 * push service's origin, `exp` within 24 h, `sub` a mailto: or https: contact), a TTL header, and
 * an aes128gcm body (RFC 8188) it DECRYPTS with the subscription's private key per RFC 8291 —
 * ECDH, HKDF and AES-128-GCM done here with node:crypto, independently of the web-push library.
 * Answers 201 with a Location, or whatever a test queued (410 Gone, 429, 500…). Anything that
 * fails a check is answered 400/401/403 and listed in `rejected`, so tests can assert there is none.
 */
export class FakePushService {
  readonly received: ReceivedPush[] = [];
  readonly rejected: { subscriptionId: string; reason: string }[] = [];
  private readonly subs = new Map<string, FakeBrowserSubscription>();
  private readonly queued = new Map<string, { status: number; headers?: Record<string, string> }[]>();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    /** The certificate to trust (the webpush channel's `ca` setting). */
    readonly ca: string,
  ) {}

  static async start(): Promise<FakePushService> {
    const { key, cert } = selfSignedCert();
    let service: FakePushService | null = null;
    const server = createServer({ key, cert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void service!.handle(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks)).then((answer) => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end(answer.body ?? '');
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    service = new FakePushService(server, `https://127.0.0.1:${port}`, cert);
    return service;
  }

  /** A new browser subscription (what `pushManager.subscribe()` answers). */
  subscribe(): FakeBrowserSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const authSecret = randomBytes(16);
    const id = randomUUID();
    const sub = { id, endpoint: `${this.origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: authSecret.toString('base64url') }, ecdh, authSecret };
    this.subs.set(id, sub);
    return sub;
  }

  /** The next messages to this subscription get these answers, in order. */
  respond(subscriptionId: string, ...answers: { status: number; headers?: Record<string, string> }[]): void {
    this.queued.set(subscriptionId, [...(this.queued.get(subscriptionId) ?? []), ...answers]);
  }

  to(subscriptionId: string): ReceivedPush[] {
    return this.received.filter((r) => r.subscriptionId === subscriptionId);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(method: string, url: string, headers: Record<string, string | string[] | undefined>, body: Buffer): Promise<{ status: number; headers?: Record<string, string>; body?: string }> {
    const id = /^\/push\/([0-9a-f-]{36})$/.exec(url)?.[1];
    const sub = id ? this.subs.get(id) : undefined;
    if (method !== 'POST' || !sub) return { status: 404 };
    const reject = (status: number, reason: string) => {
      this.rejected.push({ subscriptionId: sub.id, reason });
      return { status, body: reason };
    };
    const auth = String(headers.authorization ?? '');
    const m = /^vapid t=([A-Za-z0-9_.-]+),\s*k=([A-Za-z0-9_-]+)$/.exec(auth);
    if (!m) return reject(401, `no VAPID authorization: ${auth.slice(0, 40)}`);
    let claims: JWTPayload;
    try {
      claims = await verifyVapid(m[1], m[2], this.origin);
    } catch (err) {
      return reject(403, `VAPID: ${(err as Error).message}`);
    }
    const ttl = Number(headers.ttl);
    if (headers.ttl === undefined || !Number.isInteger(ttl) || ttl < 0) return reject(400, 'TTL header missing');
    if (headers['content-encoding'] !== 'aes128gcm') return reject(415, `content-encoding ${String(headers['content-encoding'])}`);
    let payload: unknown;
    try {
      payload = JSON.parse(decryptAes128gcm(body, sub).toString('utf8'));
    } catch (err) {
      return reject(400, `cannot decrypt: ${(err as Error).message}`);
    }
    const queued = this.queued.get(sub.id)?.shift();
    if (queued) return { status: queued.status, headers: queued.headers };
    this.received.push({ subscriptionId: sub.id, payload, claims, ttl, urgency: (headers.urgency as string | undefined) ?? null, vapidKey: m[2] });
    return { status: 201, headers: { location: `${this.origin}/message/${randomUUID()}` } };
  }
}

/** RFC 8292 §2: ES256 over the JWT by the key in `k`; `aud` is the push resource's origin; `exp` at most 24 h ahead; `sub` a contact. */
async function verifyVapid(token: string, k: string, origin: string): Promise<JWTPayload> {
  const raw = Buffer.from(k, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new Error('k is not an uncompressed P-256 point');
  const key = await importJWK({ kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, 'ES256');
  if (decodeProtectedHeader(token).alg !== 'ES256') throw new Error('alg is not ES256');
  const { payload } = await jwtVerify(token, key, { algorithms: ['ES256'], audience: origin, requiredClaims: ['exp', 'sub'] });
  if (payload.exp! > Date.now() / 1000 + 24 * 3600) throw new Error('exp more than 24 hours ahead');
  if (!/^(mailto:|https:)/.test(String(payload.sub))) throw new Error(`sub ${String(payload.sub)} is not mailto: or https:`);
  return payload;
}

/**
 * RFC 8188 aes128gcm content coding with the RFC 8291 key derivation:
 *   header = salt(16) | rs(4) | idlen(1) | keyid = the application server's ephemeral public key
 *   IKM    = HKDF(salt=auth_secret, ikm=ECDH(ua_private, as_public), info="WebPush: info\0" | ua_public | as_public, 32)
 *   CEK    = HKDF(salt, IKM, "Content-Encoding: aes128gcm\0", 16); NONCE = HKDF(salt, IKM, "Content-Encoding: nonce\0", 12)
 * Records of rs bytes (tag included), nonce XOR the record sequence number, padding ended by 0x02
 * in the last record and 0x01 in the others.
 */
export function decryptAes128gcm(body: Buffer, sub: Pick<FakeBrowserSubscription, 'ecdh' | 'authSecret'>): Buffer {
  if (body.length < 21) throw new Error('body shorter than the header');
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20];
  const asPublic = body.subarray(21, 21 + idlen);
  if (idlen !== 65 || asPublic[0] !== 4) throw new Error('keyid is not the sender public key');
  if (rs < 18) throw new Error('record size too small');
  const uaPublic = sub.ecdh.getPublicKey();
  const shared = sub.ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, sub.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const baseNonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const records = body.subarray(21 + idlen);
  const out: Buffer[] = [];
  for (let offset = 0, seq = 0; offset < records.length; offset += rs, seq++) {
    const record = records.subarray(offset, offset + rs);
    const nonce = Buffer.from(baseNonce);
    // The sequence number is XORed into the nonce's low bytes (records here stay far below 2^32).
    nonce.writeUInt32BE((nonce.readUInt32BE(8) ^ seq) >>> 0, 8);
    const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
    decipher.setAuthTag(record.subarray(record.length - 16));
    const plain = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
    const last = offset + rs >= records.length;
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0 || plain[end] !== (last ? 2 : 1)) throw new Error('bad padding delimiter');
    out.push(plain.subarray(0, end));
  }
  return Buffer.concat(out);
}
