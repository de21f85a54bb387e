import type { Locale } from '../../core/i18n/index.js';
import { LOCALES } from '../../core/i18n/index.js';
import type { ModuleContext } from '../../core/module.js';
import type { Recipient } from './channels/contract.js';
import type { NotificationsConfig } from './config.js';
import type { AddressType, RecipientType } from './schema.js';

/**
 * Who a send is addressed to. A segment is `users` (every account) or `role:<name>`. `email` and
 * `phone` (E.164) reach a bare address: one-time codes for someone not (yet) verified.
 */
export type Target = { userId: string } | { guestId: string } | { tenantId: string } | { segment: string } | { email: string } | { phone: string };

export const SEGMENT = /^(users|role:[a-z0-9_-]{1,64})$/;

/** One page of recipients of a target (users and guests are pages of one). */
export async function recipientPage(
  ctx: ModuleContext<NotificationsConfig>,
  target: Target,
  after: string | null,
  limit: number,
): Promise<{ type: RecipientType | AddressType; id: string }[]> {
  if ('userId' in target) return after === null ? [{ type: 'user', id: target.userId }] : [];
  if ('guestId' in target) return after === null ? [{ type: 'guest', id: target.guestId }] : [];
  if ('email' in target) return after === null ? [{ type: 'email', id: target.email }] : [];
  if ('phone' in target) return after === null ? [{ type: 'phone', id: target.phone }] : [];
  const auth = ctx.services.auth as typeof ctx.services.auth | undefined;
  if (!auth) return [];
  const filter = 'tenantId' in target ? { tenantId: target.tenantId } : target.segment === 'users' ? {} : { role: target.segment.slice('role:'.length) };
  const ids = await auth.userIdsPage(filter, after, limit);
  return ids.map((id) => ({ type: 'user', id }));
}

/**
 * What the channels need to know about a recipient: locale, address and time zone, from the
 * users module's profile when it runs (else the auth account alone). Null: the account is gone.
 */
export async function describeRecipient(ctx: ModuleContext<NotificationsConfig>, type: RecipientType | AddressType, id: string, locale?: string | null): Promise<Recipient | null> {
  const fallback = ctx.i18n.defaultLocale;
  if (type === 'email' || type === 'phone') {
    return { kind: 'address', id, locale: asLocale(locale ?? null, fallback), email: type === 'email' ? id : null, phone: type === 'phone' ? id : null, timezone: null };
  }
  if (type === 'guest') return { kind: 'guest', id, locale: fallback, email: null, phone: null, timezone: null };
  const users = ctx.services.users as typeof ctx.services.users | undefined;
  const auth = ctx.services.auth as typeof ctx.services.auth | undefined;
  const account = await auth?.getUser(id);
  // Only a number the user proved they hold: an unverified one may be anybody's.
  const phone = account?.phoneNumberVerified && account.phoneNumber ? account.phoneNumber : null;
  if (users) {
    try {
      const p = await users.get(id);
      return { kind: 'user', id, locale: asLocale(p.locale, fallback), email: usable(p.email), phone, timezone: p.timezone };
    } catch {
      return null;
    }
  }
  if (!account) return null;
  return { kind: 'user', id, locale: fallback, email: usable(account.email), phone, timezone: null };
}

const asLocale = (l: string | null, fallback: Locale): Locale => {
  const base = l?.slice(0, 2) as Locale | undefined;
  return base && LOCALES.includes(base) ? base : fallback;
};

/** Anonymized accounts keep a placeholder address nobody reads. */
const usable = (email: string) => (email.endsWith('@deleted.invalid') ? null : email);
