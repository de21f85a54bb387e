import { createTestApp, type TestApp } from '../../testing/app.js';
import type { TestTarget } from '../../testing/targets.js';
import { signUpAndIn, TEST_ORIGIN, type SignedIn } from '../../testing/auth.js';
import { waitFor } from '../../testing/wait.js';
import type { AnyModule } from '../../core/module.js';
import auth from '../auth/module.js';
import guests from '../guests/module.js';
import users from '../users/module.js';
import notifications from './module.js';
import type { DeliveryStatus } from './schema.js';

/** Shared set-up of the notifications tests (not shipped: only *.test.ts import it). */

export const ADMIN_TOKEN = 'admin-token-for-notification-tests-0123456789';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Types the tests use besides the built-in ones. */
export const testTypes = {
  points: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Ganaste {{points}} puntos', body: 'Sumaste {{points}} puntos.' },
      en: { title: 'You got {{points}} points', body: 'You earned {{points}} points.', url: '/points' },
    },
    digest: {
      windowSeconds: 60,
      templates: {
        es: { title: 'Ganaste puntos {{count}} veces', body: 'Último: {{last.points}}' },
        en: { title: 'You got points {{count}} times', body: 'Latest: {{last.points}}' },
      },
    },
  },
  security: {
    channels: ['inapp', 'email'],
    optOut: false,
    critical: true,
    templates: { en: { title: 'New sign-in', body: 'Someone signed in from {{place}}.' } },
  },
  promo: {
    channels: ['inapp', 'email'],
    templates: {
      es: { title: 'Oferta: {{offer}}', body: 'Aprovecha {{offer}}.', url: 'https://shop.example/{{offer}}' },
      en: { title: 'Offer: {{offer}}', body: 'Grab {{offer}}.', url: 'https://shop.example/{{offer}}' },
    },
  },
};

/** `notifications`: this module's section; `root`: other neptuno.yaml sections. */
export async function notificationsApp(
  target: TestTarget,
  opts: { smtpUrl?: string; notifications?: Record<string, unknown>; root?: Record<string, unknown>; modules?: AnyModule[]; workers?: boolean } = {},
): Promise<TestApp> {
  return createTestApp({
    target,
    workers: opts.workers ?? true,
    modules: [auth, guests, users, ...(opts.modules ?? []), notifications],
    config: {
      admin: { token: ADMIN_TOKEN },
      ...(opts.smtpUrl ? { mail: { url: opts.smtpUrl } } : {}),
      ...opts.root,
      modules: {
        ...(opts.root?.modules as Record<string, unknown> | undefined),
        notifications: {
          types: testTypes,
          channels: { inapp: { enabled: true }, email: { enabled: true, retry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } } },
          ...opts.notifications,
        },
      },
    },
  });
}

/** A signed-in user, optionally with a profile time zone and locale. */
export async function person(t: TestApp, profile: { timezone?: string; locale?: string } = {}): Promise<SignedIn & { email: string }> {
  const u = await signUpAndIn(t.app);
  if (Object.keys(profile).length) {
    const res = await t.app.inject({ method: 'PATCH', url: '/v1/profile', headers: { cookie: u.cookie, origin: TEST_ORIGIN }, payload: profile });
    if (res.statusCode !== 200) throw new Error(`profile: ${res.statusCode} ${res.body}`);
  }
  return u;
}

export async function send(t: TestApp, payload: Record<string, unknown>) {
  return t.app.inject({ method: 'POST', url: '/v1/admin/notifications/send', headers: admin, payload });
}

/** The deliveries of a notification, by channel, once the fan-out made them. */
export async function deliveriesOf(t: TestApp, notificationId: string, count: number) {
  return waitFor(async () => {
    const res = await t.app.inject({ method: 'GET', url: `/v1/admin/notifications/deliveries?notificationId=${notificationId}`, headers: admin });
    const rows = res.json().data as { id: string; channel: string; status: DeliveryStatus; attempts: number; recipientId: string }[];
    return rows.length >= count ? rows : null;
  }, `${count} deliveries of ${notificationId}`);
}

/** Waits until the delivery on `channel` reaches `status`. */
export async function statusOf(t: TestApp, notificationId: string, channel: string, status: DeliveryStatus | DeliveryStatus[]) {
  const wanted = Array.isArray(status) ? status : [status];
  return waitFor(async () => {
    const rows = await deliveriesOf(t, notificationId, 1);
    const d = rows.find((r) => r.channel === channel);
    return d && wanted.includes(d.status) ? d : null;
  }, `${channel} delivery of ${notificationId} reaching ${wanted.join('|')}`);
}

export async function inbox(t: TestApp, headers: Record<string, string>, query = '') {
  const res = await t.app.inject({ method: 'GET', url: `/v1/notifications${query}`, headers });
  return res.json() as { data: { id: string; title: string; body: string; url: string | null; read: boolean; type: string }[]; unread: number; nextCursor: string | null };
}
