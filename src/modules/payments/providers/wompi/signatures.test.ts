import { describe, expect, it } from 'vitest';
import { checksumMatches, eventChecksum, eventChecksumInput, integritySignature, propertyValue } from './signatures.js';

// Wompi's published examples (docs.wompi.co: "Widget & Web Checkout" and "Eventos").
// The expected hashes below were computed with coreutils `sha256sum` over the documented strings.

describe('Wompi integrity signature', () => {
  const secret = 'prod_integrity_Z5mMke9x0k8gpErbDqwrJXMqsI6SFli6';

  it('hashes <reference><amount_in_cents><currency><secret> (the documented example)', () => {
    // The same value appears as `signature` in Wompi's POST /transactions example.
    expect(integritySignature({ reference: 'sk8-438k4-xmxm392-sn2m', amountInCents: 2490000, currency: 'COP', secret })).toBe(
      '37c8407747e595535433ef8f6a811d853cd943046624a0ec04662b17bbf33bf5',
    );
  });

  it('puts expiration-time between the currency and the secret', () => {
    expect(
      integritySignature({ reference: 'sk8-438k4-xmxm392-sn2m', amountInCents: 2490000, currency: 'COP', expirationTime: '2023-06-09T20:28:50.000Z', secret }),
    ).toBe('e972f58e7de36b283fbb93d9318d39a54ffdff4e8e917b534f30d63c9d7bb89c');
  });
});

describe('Wompi event checksum', () => {
  const documented = {
    event: 'transaction.updated',
    data: {
      transaction: {
        id: '1234-1610641025-49201',
        amount_in_cents: 4490000,
        reference: 'MZQ3X2DE2SMX',
        customer_email: 'juan.perez@gmail.com',
        currency: 'COP',
        payment_method_type: 'NEQUI',
        redirect_url: 'https://mitienda.com.co/pagos/redireccion',
        status: 'APPROVED',
        shipping_address: null,
        payment_link_id: null,
        payment_source_id: null,
      },
    },
    environment: 'prod',
    signature: { properties: ['transaction.id', 'transaction.status', 'transaction.amount_in_cents'], checksum: '3476DDA50F64CD7CBD160689640506FEBEA93239BC524FC0469B2C68A3CC8BD0' },
    timestamp: 1530291411,
    sent_at: '2018-07-20T16:45:05.000Z',
  };
  const secret = 'prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z';

  it('concatenates the documented example exactly as the four steps say', () => {
    expect(eventChecksumInput(documented, secret)).toBe('1234-1610641025-49201APPROVED44900001530291411prod_events_OcHnIzeBl5socpwByQ4hA52Em3USQ93Z');
  });

  it("hashes it to 5a18ec5e…: Wompi's published 3476DDA5… is not the SHA-256 of its own example", () => {
    const correct = '5a18ec5e8fdb7df463e9f94774cba8f583ba21bd04a09ceff2ea68a4bc0aefbe';
    expect(eventChecksum(documented, secret)).toBe(correct.toUpperCase());
    expect(checksumMatches(correct, eventChecksum(documented, secret))).toBe(true); // case-insensitive
    expect(checksumMatches(documented.signature.checksum, eventChecksum(documented, secret))).toBe(false);
  });

  it('follows the properties in the order the event lists them, not a fixed one', () => {
    const reordered = { ...documented, signature: { ...documented.signature, properties: ['transaction.status', 'transaction.id', 'transaction.amount_in_cents'] } };
    expect(eventChecksumInput(reordered, secret)).toBe(`APPROVED1234-1610641025-492014490000${documented.timestamp}${secret}`);
  });

  it('reads own values only: absent and null are empty, objects are refused, prototype paths read nothing', () => {
    const data = { transaction: { a: null, n: 0, nested: { x: 1 } } };
    expect(propertyValue(data, 'transaction.a')).toBe('');
    expect(propertyValue(data, 'transaction.missing')).toBe('');
    expect(propertyValue(data, 'transaction.n')).toBe('0');
    expect(propertyValue(data, 'transaction.__proto__.toString')).toBe('');
    expect(propertyValue(data, 'transaction.constructor')).toBe('');
    expect(() => propertyValue(data, 'transaction.nested')).toThrow(TypeError);
  });

  it('compares without throwing on any length or alphabet', () => {
    expect(checksumMatches('', 'AB')).toBe(false);
    expect(checksumMatches('ñ'.repeat(32), 'A'.repeat(64))).toBe(false);
  });
});
