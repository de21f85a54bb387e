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
