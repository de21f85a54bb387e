import { describe, expect, it } from 'vitest';
import { WebhookSignatureError } from '../contract.js';
import { manifestOf, parseSignatureHeader, signManifest, verifySignature } from './signature.js';

// Mercado Pago's published test vector (docs: "Validate the origin of a notification").
const VECTOR = {
  manifest: 'id:123456;request-id:bb56a2f1-6aae-46ac-982e-9dcd3581d08e;ts:1742505638683;',
  secret: 'v1-test-secret-not-a-real-key',
  v1: '85aaea44adced84bf23e95db43da124f818caad473052e8d0ecd46c5319c231e',
};
const parts = { dataId: '123456', requestId: 'bb56a2f1-6aae-46ac-982e-9dcd3581d08e', ts: '1742505638683' };
const at = 1742505638683;

describe('Mercado Pago x-signature', () => {
  it('builds the documented manifest and signs the published vector', () => {
    expect(manifestOf(parts)).toBe(VECTOR.manifest);
    expect(signManifest(VECTOR.secret, parts)).toBe(VECTOR.v1);
  });

  it('accepts the published vector as a delivery', () => {
    const headers = { 'x-signature': `ts=${parts.ts},v1=${VECTOR.v1}`, 'x-request-id': parts.requestId };
    expect(verifySignature({ secret: VECTOR.secret, headers, dataId: '123456', toleranceSeconds: 300, now: at + 1000 })).toEqual(parts);
    // Order and spaces inside the header do not matter; the hex may come upper case.
    const loose = { 'x-signature': ` v1=${VECTOR.v1.toUpperCase()} , ts=${parts.ts}`, 'x-request-id': parts.requestId };
    expect(() => verifySignature({ secret: VECTOR.secret, headers: loose, dataId: '123456', toleranceSeconds: 300, now: at })).not.toThrow();
  });

  it('lower-cases an alphanumeric data.id before signing (the URL may carry it upper case)', () => {
    expect(manifestOf({ ...parts, dataId: 'ABC123def' })).toBe(`id:abc123def;request-id:${parts.requestId};ts:${parts.ts};`);
    const v1 = signManifest(VECTOR.secret, { ...parts, dataId: 'abc123def' });
    const headers = { 'x-signature': `ts=${parts.ts},v1=${v1}`, 'x-request-id': parts.requestId };
    expect(() => verifySignature({ secret: VECTOR.secret, headers, dataId: 'ABC123DEF', toleranceSeconds: 300, now: at })).not.toThrow();
  });

  it('leaves out the parts that are absent, as documented', () => {
    expect(manifestOf({ ts: '1742505638683' })).toBe('ts:1742505638683;');
    expect(manifestOf({ dataId: '42', ts: '1' })).toBe('id:42;ts:1;');
    expect(manifestOf({ requestId: 'r', ts: '1' })).toBe('request-id:r;ts:1;');
    // Without x-request-id the header's signature must be over the shorter manifest.
    const v1 = signManifest(VECTOR.secret, { dataId: '123456', ts: parts.ts });
    expect(() => verifySignature({ secret: VECTOR.secret, headers: { 'x-signature': `ts=${parts.ts},v1=${v1}` }, dataId: '123456', toleranceSeconds: 300, now: at })).not.toThrow();
  });

  it('refuses a wrong secret, another id, a missing or malformed header and a stale timestamp', () => {
    const headers = { 'x-signature': `ts=${parts.ts},v1=${VECTOR.v1}`, 'x-request-id': parts.requestId };
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(WebhookSignatureError);
        return (err as WebhookSignatureError).reason;
      }
      return 'accepted';
    };
    expect(reason(() => verifySignature({ secret: 'another', headers, dataId: '123456', toleranceSeconds: 300, now: at }))).toBe('bad_signature');
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers, dataId: '123457', toleranceSeconds: 300, now: at }))).toBe('bad_signature');
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers: { ...headers, 'x-request-id': 'other' }, dataId: '123456', toleranceSeconds: 300, now: at }))).toBe('bad_signature');
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers: { 'x-request-id': parts.requestId }, dataId: '123456', toleranceSeconds: 300, now: at }))).toBe('missing_signature');
    for (const bad of ['garbage', `ts=${parts.ts}`, `v1=${VECTOR.v1}`, `ts=abc,v1=${VECTOR.v1}`, 'ts=,v1=', `ts=${'9'.repeat(40)},v1=x`]) {
      expect(reason(() => verifySignature({ secret: VECTOR.secret, headers: { ...headers, 'x-signature': bad }, dataId: '123456', toleranceSeconds: 300, now: at }))).toBe('malformed');
    }
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers: { ...headers, 'x-signature': `ts=${parts.ts},v1=${VECTOR.v1}é` }, dataId: '123456', toleranceSeconds: 300, now: at }))).toBe('bad_signature');
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers, dataId: '123456', toleranceSeconds: 300, now: at + 301_000 }))).toBe('stale_timestamp');
    expect(reason(() => verifySignature({ secret: VECTOR.secret, headers, dataId: '123456', toleranceSeconds: 300, now: at - 301_000 }))).toBe('stale_timestamp');
  });

  it('parses the header loosely but only ts and v1', () => {
    expect(parseSignatureHeader('ts=1,v1=ab,v2=cd,x')).toEqual({ ts: '1', v1: 'ab' });
  });
});
