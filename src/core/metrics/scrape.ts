/** Longest a metric's collect() waits for its source when /metrics is scraped. */
export const SCRAPE_BOUND_MS = 1_500;

/**
 * The value, or undefined when the source failed or did not answer within SCRAPE_BOUND_MS: a
 * scrape must answer (and say `neptuno_dependency_up 0`) even while the database or Redis hangs.
 */
export async function scrapeBounded<T>(work: Promise<T>, ms = SCRAPE_BOUND_MS): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
