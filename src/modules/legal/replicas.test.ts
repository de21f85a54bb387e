import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../testing/app.js';
import { signUpAndIn, type SignedIn } from '../../testing/auth.js';
import { targets } from '../../testing/targets.js';
import { waitFor } from '../../testing/wait.js';
import authModule from '../auth/module.js';
import guestsModule from '../guests/module.js';
import usersModule from '../users/module.js';
import legalModule from './module.js';
import { legalTestApp, publish, terms, store, vault } from './testing.js';

describe.each(targets)('legal across two replicas on %s', (target) => {
  let a: TestApp;
  let b: TestApp;
  let ana: SignedIn;
  // With Redis the pub/sub message is what reaches b (the periodic check is pushed out of reach);
  // two processes on one SQLite file share no pub/sub, so there the periodic check does.
  const checkIntervalSeconds = target.redisUrl ? 3600 : 1;
  beforeAll(async () => {
    a = await legalTestApp(target, { checkIntervalSeconds });
    b = await createTestApp({ target, replicaOf: a, modules: [authModule, guestsModule, usersModule, legalModule, vault, store] });
    ana = await signUpAndIn(a.app);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const open = (t: TestApp) => t.app.inject({ method: 'GET', url: '/v1/vault/open', headers: { authorization: `Bearer ${ana.token}` } });

  it('a publish on one replica is enforced by the other; an acceptance on one is honoured by the other', async () => {
    // b has read (and keeps) the state with nothing published: the route is open.
    expect((await open(b)).statusCode).toBe(200);
    await publish(a, terms('1.0'));
    await waitFor(async () => (await open(b)).statusCode === 428, 'replica b to demand the new terms');
    const accepted = await a.app.inject({ method: 'POST', url: '/v1/legal/accept', headers: { authorization: `Bearer ${ana.token}` }, payload: { slug: 'terms', version: '1.0' } });
    expect(accepted.statusCode).toBe(201);
    // No message needed: b never remembers an absence, so it reads the acceptance at once.
    expect((await open(b)).statusCode).toBe(200);
    expect((await open(a)).statusCode).toBe(200);

    await publish(b, terms('2.0'));
    await waitFor(async () => (await open(a)).statusCode === 428, 'replica a to demand version 2.0');
    expect((await open(b)).statusCode).toBe(428);
  });
});
