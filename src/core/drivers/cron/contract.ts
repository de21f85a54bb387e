export interface CronJob {
  /** Unique name; also the claim key across replicas. */
  name: string;
  /** Five- or six-field cron pattern (croner syntax), evaluated in UTC. */
  schedule: string;
  run: () => Promise<void>;
}

/** Runs each cron once per tick across all replicas sharing the same lock store. */
export interface CronScheduler {
  add(job: CronJob): void;
  start(): void;
  stop(): Promise<void>;
}
