/** The tick a run belongs to: the same on every replica, so it can key idempotent work. */
export interface CronTick {
  name: string;
  /** The scheduled time of the tick (not the moment the timer fired). */
  scheduledAt: Date;
}

export interface CronJob {
  /** Unique name; also the claim key across replicas. */
  name: string;
  /** Five- or six-field cron pattern (croner syntax), evaluated in UTC. */
  schedule: string;
  /** Receives the tick; a `() => Promise<void>` fits as well. */
  run: (tick: CronTick) => Promise<void>;
}

/** Runs each cron once per tick across all replicas sharing the same lock store. */
export interface CronScheduler {
  add(job: CronJob): void;
  start(): void;
  stop(): Promise<void>;
  /** Runs the named cron now on this replica, no claim; its error is thrown. */
  runNow(name: string, scheduledAt?: Date): Promise<void>;
}
