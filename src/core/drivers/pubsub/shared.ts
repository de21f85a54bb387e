export type Handler = (message: unknown) => void | Promise<void>;

export interface PubSubOptions {
  /**
   * Receives errors thrown by handlers (and undecodable messages). Default: ignored, because a
   * failing subscriber must never break the publisher or the other subscribers.
   */
  onError?: (err: unknown, channel: string) => void;
}

/** One handler's registration; `active` turns false on unsubscribe so queued deliveries are dropped. */
export interface Subscription {
  handler: Handler;
  active: boolean;
}

/** Messages are JSON on both shapes, so code that works embedded works across replicas. */
export function encodeMessage(message: unknown): string {
  const raw = JSON.stringify(message);
  if (raw === undefined) throw new TypeError('PubSub message must be JSON-serializable');
  return raw;
}

/**
 * Hands one message to one handler, outside the caller's stack. Each handler gets its own parsed
 * copy so one handler mutating the message cannot affect another.
 */
export function deliver(sub: Subscription, raw: string, channel: string, onError: PubSubOptions['onError']): void {
  Promise.resolve()
    .then(() => {
      if (!sub.active) return;
      return sub.handler(JSON.parse(raw));
    })
    .catch((err: unknown) => {
      try {
        onError?.(err, channel);
      } catch {
        // An error reporter that throws must not become an unhandled rejection.
      }
    });
}

/** Makes an unsubscribe callable many times while acting once. */
export function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

/** A stream's kept entry; `m` is the message as JSON text. */
export interface StoredEntry {
  id: string;
  at: number;
  m: string;
}

const ID = /^(\d{1,16})-(\d{1,16})$/;

/** `<generation>-<n>` as numbers, or null when the text is not an id. */
export function parseStreamId(id: string): { gen: number; n: number } | null {
  const match = ID.exec(id);
  return match ? { gen: Number(match[1]), n: Number(match[2]) } : null;
}

export function checkRetention(retain: { count: number; maxAgeMs: number }): void {
  if (!Number.isInteger(retain.count) || retain.count < 0) throw new RangeError('Retention count must be an integer >= 0');
  if (!Number.isFinite(retain.maxAgeMs) || retain.maxAgeMs < 1) throw new RangeError('Retention maxAgeMs must be >= 1');
}

/**
 * What a reader who saw `afterId` missed, from a stream's state (its generation and last n, or
 * null when the stream is gone) and its kept entries, oldest first. Both drivers answer with
 * this, so the rules are one: an id of another generation, or a gap between `afterId` and the
 * first fresh kept entry, is incomplete; an id from the future (never issued) is too.
 */
export function historyAfter(
  stream: string,
  state: { gen: number; n: number } | null,
  entries: StoredEntry[],
  afterId: string,
  maxAgeMs: number,
  now: number,
): { entries: Array<{ stream: string; id: string; at: number; message: unknown }>; complete: boolean } {
  const after = parseStreamId(afterId);
  if (!after) throw new RangeError(`Not a stream id: ${afterId}`);
  if (!state) return { entries: [], complete: false };
  if (after.gen !== state.gen || after.n > state.n) return { entries: [], complete: false };
  if (after.n === state.n) return { entries: [], complete: true };
  const fresh = entries.filter((e) => e.at > now - maxAgeMs && parseStreamId(e.id)!.n > after.n && parseStreamId(e.id)!.gen === state.gen);
  const first = fresh.length ? parseStreamId(fresh[0]!.id)!.n : state.n + 1;
  return {
    entries: fresh.map((e) => ({ stream, id: e.id, at: e.at, message: JSON.parse(e.m) as unknown })),
    complete: first === after.n + 1,
  };
}
