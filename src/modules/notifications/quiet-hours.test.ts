import { describe, expect, it } from 'vitest';
import { quietUntil } from './quiet-hours.js';

const night = { start: '22:00', end: '08:00' };

describe('quietUntil', () => {
  it('holds 23:00 in Bogota (UTC-5) until 08:00 local', () => {
    // 23:00 in Bogota is 04:00 UTC the next day; 08:00 Bogota is 13:00 UTC.
    expect(quietUntil(new Date('2030-03-02T04:00:00Z'), 'America/Bogota', night)?.toISOString()).toBe('2030-03-02T13:00:00.000Z');
  });

  it('holds just after midnight and lets the day through', () => {
    expect(quietUntil(new Date('2030-03-02T06:30:15.250Z'), 'America/Bogota', night)?.toISOString()).toBe('2030-03-02T13:00:00.000Z');
    expect(quietUntil(new Date('2030-03-02T13:00:00Z'), 'America/Bogota', night)).toBeNull();
    expect(quietUntil(new Date('2030-03-02T02:59:00Z'), 'America/Bogota', night)).toBeNull(); // 21:59 local
    expect(quietUntil(new Date('2030-03-02T03:00:00Z'), 'America/Bogota', night)).not.toBeNull(); // 22:00 local
  });

  it('handles a window inside one day, an empty window and an unknown zone (UTC)', () => {
    expect(quietUntil(new Date('2030-03-02T14:00:00Z'), 'UTC', { start: '13:00', end: '15:00' })?.toISOString()).toBe('2030-03-02T15:00:00.000Z');
    expect(quietUntil(new Date('2030-03-02T16:00:00Z'), 'UTC', { start: '13:00', end: '15:00' })).toBeNull();
    expect(quietUntil(new Date('2030-03-02T23:00:00Z'), 'UTC', { start: '08:00', end: '08:00' })).toBeNull();
    expect(quietUntil(new Date('2030-03-02T23:00:00Z'), 'Mars/Olympus', night)?.toISOString()).toBe('2030-03-03T08:00:00.000Z');
  });
});
