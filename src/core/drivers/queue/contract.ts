export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'dead';

export interface JobOptions {
  delayMs?: number;
  /** Total attempts before the job goes to the dead-letter state. Default 5. */
  attempts?: number;
  /** Base delay of the exponential backoff between attempts: backoffMs * 2^(attempt-1). Default 1000. */
  backoffMs?: number;
  /** Deduplication: a second enqueue with the same jobId while the first exists is ignored. */
  jobId?: string;
}

export interface JobRecord {
  id: string;
  name: string;
  payload: unknown;
  state: JobState;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: string;
  createdAt: string;
}

/** When a rescheduled job runs: `delayMs` from now, or at `runAt`. Exactly one of the two. */
export interface RescheduleOptions {
  delayMs?: number;
  runAt?: Date | string;
}

export interface JobContext {
  id: string;
  name: string;
  /** 1 on the first run. */
  attempt: number;
}

// Each handler types its own payload; `unknown` here would reject those handlers (parameters are contravariant).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JobHandler = (payload: any, job: JobContext) => Promise<void>;

export interface JobList {
  data: JobRecord[];
  nextCursor: string | null;
}

/**
 * At-least-once background jobs with delays, retries (exponential backoff), a dead-letter
 * state and a visibility timeout. Embedded: a table in the SQL database. Scale: BullMQ.
 */
export interface Queue {
  /** Registers the handler for a job name; call before start(). */
  register(name: string, handler: JobHandler): void;
  enqueue(name: string, payload: unknown, opts?: JobOptions): Promise<string>;
  /** Starts processing registered job names. */
  start(): Promise<void>;
  /** Stops taking jobs and waits for running ones. */
  stop(): Promise<void>;
  list(opts?: { state?: JobState; limit?: number; cursor?: string }): Promise<JobList>;
  get(id: string): Promise<JobRecord | null>;
  /** Moves a dead job back to waiting; false when no dead job has that id. */
  retry(id: string): Promise<boolean>;
  /**
   * Deletes a job that is not running (waiting, delayed, completed or dead), so it never runs.
   * False when no job has that id or a worker holds it (active): it may be running right now.
   */
  remove(id: string): Promise<boolean>;
  /**
   * Moves a job that has not started (waiting or delayed) to another time, keeping its id,
   * payload and attempts. False when no such job exists or it is active, completed or dead.
   */
  reschedule(id: string, when: RescheduleOptions): Promise<boolean>;
  counts(): Promise<Record<JobState, number>>;
  /** When the job that has waited longest since it became due became due (epoch ms); null when nothing waits. */
  oldestDue(): Promise<number | null>;
  /** Throws when the backing store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
