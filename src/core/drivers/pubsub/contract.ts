export type Unsubscribe = () => Promise<void>;

/** Fan-out messaging. Embedded: in-process emitter. Scale: Redis pub/sub, every replica's subscribers get each message once. */
export interface PubSub {
  /** message must be JSON-serializable. */
  publish(channel: string, message: unknown): Promise<void>;
  subscribe(channel: string, handler: (message: unknown) => void | Promise<void>): Promise<Unsubscribe>;
  close(): Promise<void>;
}
