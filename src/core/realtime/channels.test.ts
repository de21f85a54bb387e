import { describe, expect, it } from 'vitest';
import { Value } from 'typebox/value';
import { AppConfigSchema, type AppConfig } from '../config/schema.js';
import { Access, type Actor } from '../http/access.js';
import { addKernelChannels, ChannelRegistry } from './channels.js';

const access = new Access(Value.Default(AppConfigSchema, {}) as AppConfig);
const user = (id: string, extra: Partial<Actor> = {}): Actor => ({ type: 'user', id, role: 'user', tenantId: null, via: 'session', ...extra });
const guest = (id: string): Actor => ({ type: 'guest', id, role: null, tenantId: null, via: 'guest' });

function registry() {
  const r = new ChannelRegistry();
  addKernelChannels(r, access);
  return r;
}
const may = async (r: ChannelRegistry, actor: Actor | null, channel: string) => {
  const m = r.match(channel);
  return m ? await m.authorize(actor, m.params) : 'unknown';
};

describe('channel declarations', () => {
  it('matches patterns with {params} one part each, the first declaration winning', () => {
    const r = registry();
    r.add('scores', 'scores:{board}:{period}', () => true);
    r.add('scores', 'scores:{board}', () => true);
    expect(r.match('scores:weekly:2030-W01')).toMatchObject({ pattern: 'scores:{board}:{period}', owner: 'scores', params: { board: 'weekly', period: '2030-W01' } });
    expect(r.match('scores:weekly')?.params).toEqual({ board: 'weekly' });
    expect(r.match('scores:')).toBeUndefined();
    expect(r.match('scores:a:b:c')).toBeUndefined();
    expect(r.match('user:u1')?.owner).toBe('core');
    expect(r.match('nobody')).toBeUndefined();
    expect(r.match('bad name')).toBeUndefined();
  });

  it('refuses malformed and duplicate patterns at start-up', () => {
    const r = registry();
    expect(() => r.add('m', 'user:{id}', () => true)).toThrow(/declared by both core and m/);
    expect(() => r.add('m', 'a b', () => true)).toThrow(/Invalid channel pattern/);
    expect(() => r.add('m', 'x:{id}:{id}', () => true)).toThrow(/repeats/);
    expect(() => r.add('m', '', () => true)).toThrow();
  });

  it('gives the kernel channels to their owners only', async () => {
    const r = registry();
    expect(await may(r, user('u1'), 'user:u1')).toBe(true);
    expect(await may(r, user('u2'), 'user:u1')).toBe(false);
    expect(await may(r, guest('u1'), 'user:u1')).toBe(false);
    expect(await may(r, null, 'user:u1')).toBe(false);
    expect(await may(r, guest('g1'), 'guest:g1')).toBe(true);
    expect(await may(r, user('g1'), 'guest:g1')).toBe(false);
    expect(await may(r, guest('g2'), 'guest:g1')).toBe(false);
    // tenant: the actor's tenant, which the auth module sets only for a member (checked on every resolution).
    expect(await may(r, user('u1', { tenantId: 'org1' }), 'tenant:org1')).toBe(true);
    expect(await may(r, user('u1', { tenantId: 'org2' }), 'tenant:org1')).toBe(false);
    expect(await may(r, user('u1'), 'tenant:org1')).toBe(false);
    expect(await may(r, null, 'tenant:org1')).toBe(false);
    expect(await may(r, user('a', { role: 'admin' }), 'admin')).toBe(true);
    expect(await may(r, { type: 'service', id: 'admin-token', role: 'admin', tenantId: null, via: 'admin_token' }, 'admin')).toBe(true);
    expect(await may(r, user('u1'), 'admin')).toBe(false);
    // An admin key limited to scopes without admin is not an admin.
    expect(await may(r, user('a', { role: 'admin', scopes: ['posts:read'] }), 'admin')).toBe(false);
    expect(await may(r, null, 'admin')).toBe(false);
  });
});
