import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../../testing/app.js';
import { signUpAndIn, type SignedIn } from '../../testing/auth.js';
import { targets } from '../../testing/targets.js';
import { admin, legalTestApp, newGuest, publish, terms } from './testing.js';

describe.each(targets)('legal documents and consents on %s', (target) => {
  let t: TestApp;
  let ana: SignedIn;
  beforeAll(async () => {
    t = await legalTestApp(target);
    ana = await signUpAndIn(t.app);
  });
  afterAll(() => t?.close());

  const bearer = (s: SignedIn) => ({ authorization: `Bearer ${s.token}` });
  const call = (url: string, headers: Record<string, string>, method: 'GET' | 'POST' = 'GET', payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  it('publishes versions with the issue body shape; refuses bad ones with field errors in es and en', async () => {
    const first = await publish(t, terms('1.0'));
    expect(first).toMatchObject({ slug: 'terms', version: '1.0', required: true, title: { es: 'Términos 1.0', en: 'Terms 1.0' } });
    const bad: Array<[Record<string, unknown>, number, string]> = [
      [{ ...terms('2.0'), url: 'https://example.com/t' }, 400, 'validation_failed'],
      [{ ...terms('2.0'), content: undefined }, 400, 'validation_failed'],
      [{ ...terms('2.0'), slug: 'Terms!' }, 400, 'validation_failed'],
      [{ ...terms('2.0'), title: { es: 'solo es' } }, 400, 'validation_failed'],
      [{ ...terms('2.0'), effectiveAt: '2030-02-30T00:00:00Z' }, 400, 'validation_failed'],
      [terms('1.0'), 409, 'legal_version_exists'],
    ];
    for (const [body, status, code] of bad) {
      const res = await t.app.inject({ method: 'POST', url: '/v1/admin/legal/documents', headers: { ...admin, 'accept-language': 'es' }, payload: body });
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().code).toBe(code);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    const dup = await t.app.inject({ method: 'POST', url: '/v1/admin/legal/documents', headers: { ...admin, 'accept-language': 'en' }, payload: terms('1.0') });
    expect(dup.json().title).toBe('Version already published');
    const url = await publish(t, { slug: 'cookies', version: '2024-01', title: { es: 'Cookies', en: 'Cookies' }, url: 'https://example.com/cookies', required: false });
    expect(url).toMatchObject({ url: 'https://example.com/cookies', required: false });
    expect((await t.app.inject({ method: 'POST', url: '/v1/admin/legal/documents', headers: bearer(ana), payload: terms('9') })).statusCode).toBe(403);
  });

  it('serves the current version publicly in es, en or both', async () => {
    const es = await call('/v1/public/legal/terms', { 'accept-language': 'es-CO' });
    expect(es.statusCode).toBe(200);
    expect(es.json()).toMatchObject({ slug: 'terms', version: '1.0', lang: 'es', title: { es: 'Términos 1.0' }, content: { es: 'Texto 1.0' }, required: true });
    expect(es.json().title.en).toBeUndefined();
    expect(es.headers.vary).toMatch(/Accept-Language/);
    expect((await call('/v1/public/legal/terms', { 'accept-language': 'en' })).json().title).toEqual({ en: 'Terms 1.0' });
    expect((await call('/v1/public/legal/terms?lang=both', {})).json().content).toEqual({ es: 'Texto 1.0', en: 'Text 1.0' });
    const missing = await call('/v1/public/legal/nothing', { 'accept-language': 'es' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'legal_document_not_found', title: 'Documento no encontrado' });
    // A scheduled version is not current until its time.
    await publish(t, terms('3.0', { effectiveAt: '2999-01-01T00:00:00Z' }));
    expect((await call('/v1/public/legal/terms', {})).json().version).toBe('1.0');
  });

  it('guards configured routes with 428 until the current required versions are accepted (user)', async () => {
    const open = await call('/v1/vault/open', { ...bearer(ana), 'accept-language': 'es' });
    expect(open.statusCode).toBe(428);
    expect(open.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(open.json()).toMatchObject({
      code: 'consent_required',
      title: 'Debes aceptar los documentos legales',
      documents: [{ slug: 'terms', version: '1.0', title: { es: 'Términos 1.0', en: 'Terms 1.0' }, required: true }],
    });
    expect(open.json().detail).toContain('Términos 1.0');
    // Not guarded: the exempt prefix, consent: false, other modules, the legal routes themselves.
    expect((await call('/v1/vault/free', bearer(ana))).statusCode).toBe(200);
    expect((await call('/v1/vault/never', bearer(ana))).statusCode).toBe(200);
    // Guarded by module name, whatever the module's prefix.
    expect((await call('/v1/shop-front/cart', bearer(ana))).statusCode).toBe(428);
    // Anonymous: the route's own rules decide (nothing to accept for nobody).
    expect((await call('/v1/vault/open', {})).statusCode).toBe(200);

    const pending = await call('/v1/legal/pending', bearer(ana));
    expect(pending.json().data).toEqual([
      expect.objectContaining({ slug: 'terms', version: '1.0', required: true }),
      expect.objectContaining({ slug: 'cookies', version: '2024-01', required: false }),
    ]);

    const stale = await call('/v1/legal/accept', { ...bearer(ana), 'accept-language': 'en' }, 'POST', { slug: 'terms', version: '3.0' });
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ code: 'legal_version_not_current', currentVersion: '1.0' });
    expect(stale.json().detail).toContain('1.0');
    expect((await call('/v1/legal/accept', bearer(ana), 'POST', { slug: 'nope', version: '1' })).statusCode).toBe(404);

    const accepted = await call('/v1/legal/accept', { ...bearer(ana), 'user-agent': 'VitestBrowser/1.0' }, 'POST', { slug: 'terms', version: '1.0' });
    expect(accepted.statusCode).toBe(201);
    expect(accepted.json()).toMatchObject({ slug: 'terms', version: '1.0', actorType: 'user', actorId: ana.userId, userAgent: 'VitestBrowser/1.0' });
    expect(accepted.json().ip).toBeTruthy();
    const replay = await call('/v1/legal/accept', bearer(ana), 'POST', { slug: 'terms', version: '1.0' });
    expect(replay.statusCode).toBe(200);
    expect(replay.json().acceptedAt).toBe(accepted.json().acceptedAt);

    expect((await call('/v1/vault/open', bearer(ana))).statusCode).toBe(200);
    expect((await call('/v1/shop-front/cart', bearer(ana))).statusCode).toBe(200);
    expect((await call('/v1/legal/pending', bearer(ana))).json().data.map((d: { slug: string }) => d.slug)).toEqual(['cookies']);
  });

  it('a new required version makes earlier consents stale; a non-required one does not', async () => {
    await publish(t, terms('1.1', { required: false }));
    expect((await call('/v1/vault/open', bearer(ana))).statusCode).toBe(200);
    await publish(t, terms('2.0'));
    const res = await call('/v1/vault/open', bearer(ana));
    expect(res.statusCode).toBe(428);
    expect(res.json().documents.map((d: { version: string }) => d.version)).toEqual(['2.0']);
    await call('/v1/legal/accept', bearer(ana), 'POST', { slug: 'terms', version: '2.0' });
    expect((await call('/v1/vault/open', bearer(ana))).statusCode).toBe(200);
  });

  it('routes demanding a document by their route option, optional ones included', async () => {
    await publish(t, { slug: 'marketing', version: '1', title: { es: 'Publicidad', en: 'Marketing' }, content: { es: 'sí', en: 'yes' }, required: false });
    const res = await call('/v1/vault/newsletter', bearer(ana));
    expect(res.statusCode).toBe(428);
    expect(res.json().documents.map((d: { slug: string }) => d.slug)).toEqual(['marketing']);
    // Not required: the prefix-guarded routes do not ask for it.
    expect((await call('/v1/vault/open', bearer(ana))).statusCode).toBe(200);
    await call('/v1/legal/accept', bearer(ana), 'POST', { slug: 'marketing', version: '1' });
    expect((await call('/v1/vault/newsletter', bearer(ana))).statusCode).toBe(200);
  });

  it("guards guests too; a guest's consents move to the user on merge", async () => {
    const guest = await newGuest(t);
    expect((await call('/v1/vault/open', guest.headers)).statusCode).toBe(428);
    const acc = await call('/v1/legal/accept', guest.headers, 'POST', { slug: 'terms', version: '2.0' });
    expect(acc.statusCode).toBe(201);
    expect(acc.json()).toMatchObject({ actorType: 'guest', actorId: guest.id });
    expect((await call('/v1/vault/open', guest.headers)).statusCode).toBe(200);

    const bob = await signUpAndIn(t.app);
    expect((await call('/v1/vault/open', bearer(bob))).statusCode).toBe(428);
    await t.ctx.events.emit('guest.merged', { guestId: guest.id, userId: bob.userId });
    await t.ctx.events.emit('guest.merged', { guestId: guest.id, userId: bob.userId }); // redelivered: nothing moves twice
    const history = (await call('/v1/legal/consents', bearer(bob))).json().data;
    expect(history).toEqual([expect.objectContaining({ slug: 'terms', version: '2.0', actorType: 'user', actorId: bob.userId })]);
    expect((await call('/v1/vault/open', bearer(bob))).statusCode).toBe(200);
  });

  it('counts acceptances per version for admins, and records publish and accept in the audit log', async () => {
    const stats = await call('/v1/admin/legal/stats?slug=terms', admin);
    expect(stats.statusCode).toBe(200);
    const byVersion = Object.fromEntries(stats.json().data.map((s: { version: string }) => [s.version, s]));
    expect(byVersion['1.0']).toMatchObject({ acceptedByUsers: 1, acceptedByGuests: 0, current: false, required: true });
    expect(byVersion['2.0']).toMatchObject({ acceptedByUsers: 2, acceptedByGuests: 0, current: true });
    expect(byVersion['3.0']).toMatchObject({ acceptedByUsers: 0, current: false });

    const list = await call('/v1/admin/legal/documents?slug=terms&limit=2', admin);
    expect(list.json().data).toHaveLength(2);
    expect(list.json().nextCursor).toBeTruthy();
    const id = byVersion['2.0'].id;
    expect((await call(`/v1/admin/legal/documents/${id}`, admin)).json()).toMatchObject({ version: '2.0', current: true, content: { es: 'Texto 2.0' } });
    expect((await call('/v1/admin/legal/documents/nope', admin)).statusCode).toBe(404);

    const audit = (await call('/v1/admin/audit?limit=100', admin)).json().data as Array<{ action: string; actor: { type: string; id: string } }>;
    expect(audit.some((e) => e.action === 'legal.document_published')).toBe(true);
    expect(audit.some((e) => e.action === 'legal.consent_accepted' && e.actor.id === ana.userId)).toBe(true);
  });

  it('puts consents in the privacy export; a deleted account keeps the proof without IP and user agent', async () => {
    const exported = await call('/v1/profile/export', bearer(ana));
    expect(exported.statusCode).toBe(200);
    expect(exported.json().modules.legal.consents.map((c: { slug: string; version: string }) => `${c.slug}@${c.version}`)).toEqual(['terms@1.0', 'terms@2.0', 'marketing@1']);
    await t.ctx.events.emit('user.deleted', { userId: ana.userId });
    const rows = await t.ctx.db.selectFrom('legal_consents' as never).select(['ip', 'user_agent', 'version'] as never[]).where('actor_id' as never, '=', ana.userId as never).execute();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => (r as { ip: unknown }).ip === null && (r as { user_agent: unknown }).user_agent === null)).toBe(true);
  });

  it('refuses service actors on the consent routes', async () => {
    const res = await call('/v1/legal/accept', admin, 'POST', { slug: 'terms', version: '2.0' });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('legal_person_required');
  });
});
