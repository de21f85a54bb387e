import { describe, expect, it } from 'vitest';
import { GuestCookie } from './cookie.js';

describe('GuestCookie', () => {
  const secret = 'another-secret-another-secret-0123456789';
  it('is plain and not Secure in development, __Host- and Secure elsewhere', () => {
    const dev = new GuestCookie(secret, { development: true, maxAgeDays: 1 });
    expect(dev.name).toBe('neptuno_guest');
    expect(dev.serialize('g1')).not.toMatch(/Secure/);
    const prod = new GuestCookie(secret, { development: false, maxAgeDays: 1 });
    expect(prod.serialize('g1')).toMatch(/^__Host-neptuno_guest=v1\.g1\.[\w-]{43}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax; Secure$/);
  });
  it('rejects a cookie signed with another secret', () => {
    const a = new GuestCookie(secret, { development: false, maxAgeDays: 1 });
    const b = new GuestCookie(`${secret}x`, { development: false, maxAgeDays: 1 });
    expect(a.verify(a.sign('g1'))).toBe('g1');
    expect(a.verify(b.sign('g1'))).toBeNull();
  });
});
