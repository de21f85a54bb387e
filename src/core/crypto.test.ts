import { describe, expect, it } from 'vitest';
import { safeEqual } from './crypto.js';

describe('safeEqual', () => {
  it('compares strings and bytes, and never throws on different byte lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    // Same number of characters, different number of bytes: timingSafeEqual alone throws here.
    expect(safeEqual('ñbc', 'abc')).toBe(false);
    expect(safeEqual('\ud800bc', 'abc')).toBe(false);
    expect(safeEqual(Buffer.from([1, 2]), Buffer.from([1, 2, 3]))).toBe(false);
    expect(safeEqual(Buffer.from([1, 2]), Buffer.from([1, 2]))).toBe(true);
    expect(safeEqual('', '')).toBe(true);
  });
});
