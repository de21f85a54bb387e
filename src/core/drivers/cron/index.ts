export type { CronJob, CronTick, CronScheduler as CronSchedulerContract } from './contract.js';
export { CronScheduler, type CronSchedulerOptions, type CronLog } from './scheduler.js';
