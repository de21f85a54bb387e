import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * AWS Signature Version 4 checking for the test S3 server, written from AWS's documentation
 * ("Authenticating Requests: Using the Authorization Header" and "…: Using Query Parameters",
 * Amazon S3 API reference), independently of the SDK that signs: a wrong secret, a tampered
 * path, query or signed header, or an expired presigned link is refused as real S3 refuses it.
 * The payload hash is taken as declared (x-amz-content-sha256), not recomputed.
 */
export interface SigV4Request {
  method: string;
  /** Path as sent, percent-encoded. */
  rawPath: string;
  /** Query string as sent, without `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
}

export type SigV4Result = { ok: true; anonymous: boolean } | { ok: false; status: number; code: string; message: string };

const uriEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s).digest();

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

function parseQuery(raw: string): Array<[string, string]> {
  return raw
    .split('&')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      return i < 0 ? [decode(pair), ''] : [decode(pair.slice(0, i)), decode(pair.slice(i + 1))];
    });
}

const deny = (code: string, message: string, status = 403): SigV4Result => ({ ok: false, status, code, message });

/** Parses an amz date (20250101T000000Z) into ms since the epoch, or NaN. */
function amzDateMs(d: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(d);
  return m ? Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) : NaN;
}

export function verifySigV4(req: SigV4Request, secrets: Record<string, string>, nowMs = Date.now()): SigV4Result {
  const query = parseQuery(req.rawQuery);
  const q = new Map(query);
  const auth = req.headers.authorization;
  const presigned = q.get('X-Amz-Algorithm');
  if (!auth && !presigned) return { ok: true, anonymous: true };
  if (auth && presigned) return deny('InvalidArgument', 'Only one auth mechanism allowed', 400);

  let credential: string, signedHeaders: string, signature: string, amzDate: string, payloadHash: string;
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^,]+), ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
    if (!m) return deny('InvalidArgument', 'Unsupported Authorization header', 400);
    [, credential, signedHeaders, signature] = m;
    amzDate = String(req.headers['x-amz-date'] ?? '');
    payloadHash = String(req.headers['x-amz-content-sha256'] ?? '');
    if (!payloadHash) return deny('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
    if (Math.abs(nowMs - amzDateMs(amzDate)) > 15 * 60_000 || Number.isNaN(amzDateMs(amzDate))) {
      return deny('RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
  } else {
    if (presigned !== 'AWS4-HMAC-SHA256') return deny('InvalidArgument', 'Unsupported X-Amz-Algorithm', 400);
    credential = q.get('X-Amz-Credential') ?? '';
    signedHeaders = q.get('X-Amz-SignedHeaders') ?? '';
    signature = q.get('X-Amz-Signature') ?? '';
    amzDate = q.get('X-Amz-Date') ?? '';
    payloadHash = 'UNSIGNED-PAYLOAD';
    const expires = Number(q.get('X-Amz-Expires'));
    const signedAt = amzDateMs(amzDate);
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800 || Number.isNaN(signedAt)) return deny('AuthorizationQueryParametersError', 'X-Amz-Expires or X-Amz-Date is invalid', 400);
    if (nowMs > signedAt + expires * 1000) return deny('AccessDenied', 'Request has expired');
  }

  const [accessKeyId, date, region, service, terminator] = credential.split('/');
  const secret = secrets[accessKeyId];
  if (secret === undefined) return deny('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  if (service !== 's3' || terminator !== 'aws4_request' || !amzDate.startsWith(date)) return deny('AuthorizationHeaderMalformed', 'The credential scope is malformed', 400);

  const canonicalUri = req.rawPath.split('/').map((s) => uriEncode(decode(s.replace(/\+/g, '%2B')))).join('/');
  const canonicalQuery = query
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [uriEncode(k), uriEncode(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = signedHeaders.split(';');
  if (!names.includes('host')) return deny('AccessDenied', 'host must be a signed header');
  const canonicalHeaders = names
    .map((n) => {
      const v = req.headers[n];
      return `${n}:${(Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), 's3'), 'aws4_request');
  const expected = hmac(key, stringToSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return deny('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  return { ok: true, anonymous: false };
}
