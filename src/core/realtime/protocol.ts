/**
 * The websocket protocol (docs/realtime.md): JSON text frames, fixed here so clients in any
 * language can speak it. Every refusal is an error frame with a stable code, never a silent drop.
 */

/** Frames a client sends. */
export type ClientFrame =
  | { type: 'subscribe'; channel: string; lastId?: string; ref?: string }
  | { type: 'unsubscribe'; channel: string; ref?: string }
  | { type: 'ping' };

/** Who the socket authenticated as, in the welcome frame. */
export interface WelcomeActor {
  kind: 'user' | 'guest' | 'apiKey' | 'service' | 'anonymous';
  id?: string;
  role?: string | null;
  tenantId?: string | null;
}

/** Frames the server sends. */
export type ServerFrame =
  | { type: 'welcome'; connectionId: string; actor: WelcomeActor }
  | { type: 'subscribed'; channel: string; ref?: string }
  | { type: 'unsubscribed'; channel: string; ref?: string }
  | { type: 'message'; channel: string; id: string; data: unknown; at: string }
  | { type: 'reset'; channel: string }
  | { type: 'error'; code: ErrorCode; message: string; channel?: string; ref?: string }
  | { type: 'pong' };

/** Stable codes of error frames (their texts, es and en, are in messages.ts as `realtime.<code>`). */
export const ERROR_CODES = [
  'invalid_frame',
  'unknown_type',
  'channel_invalid',
  'channel_unknown',
  'channel_forbidden',
  'invalid_last_id',
  'too_many_subscriptions',
  'rate_limited',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Close codes. 1000-1015 are the protocol's own (RFC 6455); 4000-4999 are ours, one per reason,
 * so a client knows whether reconnecting can help.
 */
export const CLOSE = {
  /** The server is shutting down (or restarting): reconnect, another replica will answer. */
  goingAway: 1001,
  /** A frame larger than limits.maxPayloadBytes (sent by ws itself). */
  tooBig: 1009,
  /** The client did not read fast enough: more than limits.maxBufferedBytes waited for it. */
  slowConsumer: 4008,
  /** The client kept sending frames over twice limits.messagesPerSecond. */
  rateLimited: 4029,
} as const;

export const CHANNEL_NAME = /^[A-Za-z0-9_.:@-]{1,200}$/;
const REF_MAX = 100;

/** The frame a client sent, or the error code that answers it. */
export function parseClientFrame(raw: string): ClientFrame | { error: ErrorCode; ref?: string; channel?: string } {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { error: 'invalid_frame' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'invalid_frame' };
  const f = value as Record<string, unknown>;
  const ref = typeof f.ref === 'string' && f.ref.length <= REF_MAX ? f.ref : undefined;
  if (f.ref !== undefined && ref === undefined) return { error: 'invalid_frame' };
  if (f.type === 'ping') return { type: 'ping' };
  if (f.type !== 'subscribe' && f.type !== 'unsubscribe') return { error: 'unknown_type', ref };
  if (typeof f.channel !== 'string' || !CHANNEL_NAME.test(f.channel)) return { error: 'channel_invalid', ref };
  const channel = f.channel;
  if (f.type === 'unsubscribe') return { type: 'unsubscribe', channel, ref };
  if (f.lastId !== undefined && (typeof f.lastId !== 'string' || !/^\d{1,16}-\d{1,16}$/.test(f.lastId))) return { error: 'invalid_last_id', ref, channel };
  return { type: 'subscribe', channel, lastId: f.lastId as string | undefined, ref };
}

export function withDefined<T extends Record<string, unknown>>(o: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
