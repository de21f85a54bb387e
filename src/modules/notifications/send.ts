import { newId } from '../../core/ids.js';
import { typedTrx } from '../../core/db/dialect.js';
import { badRequest, conflict, unprocessable } from '../../core/http/problem.js';
import type { Locale } from '../../core/i18n/index.js';
import type { ModuleContext } from '../../core/module.js';
import { seal } from './sealed.js';
import type { ChannelRegistry } from './channels/registry.js';
import type { NotificationsConfig } from './config.js';
import { SEGMENT, type Target } from './recipients.js';
import type { NotificationTables, NotifTrx } from './schema.js';
import { TemplateDataError, type TypeRegistry } from './types.js';

export const FANOUT_JOB = 'notifications.fanout';

export interface SendInput {
  /** Exactly one of userId, guestId, tenantId or segment (`users`, `role:<name>`). */
  to: Target;
  type: string;
  /** Template data (`{{badge}}`…); kept with the notification and given to every channel. */
  data?: Record<string, unknown>;
  /** Channels instead of the type's defaults. */
  channels?: string[];
  /** Bypass quiet hours and opt-outs (security alerts, payment problems). Default: the type's. */
  critical?: boolean;
  /** Idempotency: a second send with the same key creates nothing and answers the first notification's id. */
  key?: string;
  /**
   * Template data kept sealed (AES-GCM under a key derived from the app secret) instead of in
   * the readable `data`: a one-time code. Merged over `data` when the message is rendered.
   */
  secret?: Record<string, string>;
  /** The language of an `email`/`phone` target (users and guests use their profile's). */
  locale?: Locale;
}

export interface SendResult {
  id: string;
  /** False when `key` named a notification sent before. */
  created: boolean;
}

const TARGET_KEYS = ['userId', 'guestId', 'tenantId', 'segment', 'email', 'phone'] as const;

const ADDRESS: Record<string, RegExp> = { email: /^[^\s@<>,;]+@[^\s@<>,;]+$/, phone: /^\+[1-9][0-9]{6,14}$/ };

/** Validates a target: exactly one known key, a bounded non-empty string (400 otherwise). */
export function checkTarget(to: unknown): Target {
  const keys = to && typeof to === 'object' && !Array.isArray(to) ? Object.keys(to) : [];
  const key = keys[0] as (typeof TARGET_KEYS)[number] | undefined;
  const value = key ? (to as Record<string, unknown>)[key] : undefined;
  const ok =
    keys.length === 1 &&
    TARGET_KEYS.includes(key!) &&
    typeof value === 'string' &&
    value.length > 0 &&
    value.length <= 255 &&
    (key !== 'segment' || SEGMENT.test(value)) &&
    (!ADDRESS[key!] || ADDRESS[key!].test(value));
  if (!ok) throw badRequest('notification_target_invalid', { errors: [{ pointer: '/body/to', code: 'invalid', detail: 'Give exactly one of userId, guestId, tenantId or segment (users | role:<name>)' }] });
  return { [key!]: value } as Target;
}

/**
 * `notifications.send`: checks everything a caller can get wrong (type, channels, target, data
 * against every locale's templates) so mistakes fail here, then stores the notification and
 * its fan-out job in one transaction. Inside a caller's ctx.tx it joins it: the notification
 * exists if and only if the caller's change commits. Nothing is sent in the request.
 */
export async function sendNotification(
  ctx: ModuleContext<NotificationsConfig>,
  types: TypeRegistry,
  channels: ChannelRegistry,
  input: SendInput,
): Promise<SendResult> {
  const to = checkTarget(input.to);
  const type = types.get(input.type);
  if (!type) throw unprocessable('notification_type_unknown', { params: { type: String(input.type) } });
  const wanted = input.channels ?? null;
  for (const c of wanted ?? []) if (!channels.get(c)) throw unprocessable('notification_channel_unknown', { params: { channel: c } });
  const data = input.data ?? {};
  try {
    types.check(type.name, { ...data, ...input.secret });
  } catch (err) {
    if (err instanceof TemplateDataError) throw unprocessable('notification_data_invalid', { params: { reason: err.message.slice(0, 200) } });
    throw err;
  }
  const key = input.key ?? null;
  const targetJson = JSON.stringify(to);
  return ctx.tx(async (tx) => {
    const trx = typedTrx<NotificationTables>(tx) as NotifTrx;
    // Time-ordered: a digest orders the sends it groups by id, whatever order the jobs ran in.
    const id = newId();
    const res = await trx
      .insertInto('notif_notifications')
      .values({
        id,
        type: type.name,
        idem_key: key,
        target: targetJson,
        data: JSON.stringify(data),
        channels: wanted ? JSON.stringify(wanted) : null,
        critical: (input.critical ?? type.critical) ? 1 : 0,
        digest: 0,
        sealed: input.secret ? seal(ctx.secret, JSON.stringify(input.secret)) : null,
        locale: input.locale ?? null,
        created_at: new Date().toISOString(),
        fanned_out_at: null,
      })
      .onConflict((oc) => oc.column('idem_key').doNothing())
      .executeTakeFirst();
    if (key !== null && !Number(res.numInsertedOrUpdatedRows)) {
      const first = await trx.selectFrom('notif_notifications').select(['id', 'type', 'target']).where('idem_key', '=', key).executeTakeFirstOrThrow();
      // The same key for another notification is a caller's bug, not a retry: say so.
      if (first.type !== type.name || first.target !== targetJson) throw conflict('notification_key_reused');
      return { id: first.id, created: false };
    }
    trx.enqueue(FANOUT_JOB, { id }, { jobId: `notif-fanout-${id}` });
    return { id, created: true };
  });
}
