export interface RateLimitRule {
  /** Requests (or cost units) allowed per window. */
  limit: number;
  windowMs: number;
}

export interface RateLimitResult {
  allowed: boolean;
  /** Units left in the current window after this hit (0 when refused). */
  remaining: number;
  limit: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
  /** Milliseconds the caller should wait before retrying; 0 when allowed. */
  retryAfterMs: number;
}

/** Atomic fixed-window counter. Embedded: in-process. Scale: Redis script, a limit holds in total across replicas. */
export interface RateLimiter {
  hit(key: string, rule: RateLimitRule, cost?: number): Promise<RateLimitResult>;
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}
