export type Unsubscribe = () => Promise<void>;

/** How much of a stream's history is kept: the last `count` messages, none older than `maxAgeMs`. */
export interface Retention {
  count: number;
  maxAgeMs: number;
}

/**
 * A message published with `append`, as its channel's subscribers receive it. `id` is
 * `<generation>-<n>`: n counts 1, 2, 3… within a generation, and a stream idle for longer than
 * its retention starts a new, later generation (epoch milliseconds). So ids only grow per stream.
 */
export interface SequencedMessage {
  stream: string;
  id: string;
  /** Epoch milliseconds at which it was appended (the publishing replica's clock). */
  at: number;
  message: unknown;
}

export interface History {
  /** The kept messages of the stream after the given id, oldest first. */
  entries: SequencedMessage[];
  /**
   * False when some message after the given id is no longer kept (trimmed by count, older than
   * maxAgeMs, or of an earlier generation): the reader missed something it cannot get back.
   */
  complete: boolean;
}

/** Fan-out messaging. Embedded: in-process emitter. Scale: Redis pub/sub, every replica's subscribers get each message once. */
export interface PubSub {
  /** message must be JSON-serializable. */
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: (message: unknown) => void | Promise<void>): Promise<Unsubscribe>;
  /**
   * Publishes on `channel` a {@link SequencedMessage} carrying `message` under the next id of
   * `stream`, and keeps it in the stream's bounded history, in one atomic step: ids are
   * monotonic per stream, the history is shared by every replica, and every subscriber receives
   * a stream's messages in id order even when several replicas append at once. Many streams may
   * share one channel (one subscription per replica, however many streams).
   */
  append(channel: string, stream: string, message: unknown, retain: Retention): Promise<{ id: string; at: number }>;
  /** The stream's kept messages after `afterId` (an id `append` returned), within `retain`. */
  history(stream: string, afterId: string, retain: Retention): Promise<History>;
  close(): Promise<void>;
}
