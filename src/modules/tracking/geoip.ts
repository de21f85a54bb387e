import type { Logger } from 'pino';

/** Country of an IP, from a MaxMind .mmdb file when one is configured; null otherwise. */
export interface CountryLookup {
  country(ip: string): string | null;
}

export const noGeoip: CountryLookup = { country: () => null };

/**
 * Opens a GeoLite2/GeoIP2 Country or City database with the `maxmind` reader (loaded only when
 * configured). Neptuno never downloads one: the operator provides the file (docs/tracking.md).
 * The file is read once at start; a missing or unreadable file stops start-up with its path.
 */
export async function openGeoip(path: string | null, log: Logger): Promise<CountryLookup> {
  if (!path) return noGeoip;
  const maxmind = await import('maxmind');
  let reader: { get(ip: string): unknown };
  try {
    reader = await maxmind.default.open(path, { watchForUpdates: false });
  } catch (err) {
    throw new Error(`modules.tracking.geoip.database: cannot open ${path}: ${(err as Error).message}`);
  }
  log.info({ path }, 'tracking: GeoIP country lookup on');
  return {
    country(ip) {
      try {
        const hit = reader.get(ip) as { country?: { iso_code?: string }; registered_country?: { iso_code?: string } } | null;
        const code = hit?.country?.iso_code ?? hit?.registered_country?.iso_code;
        return code && /^[A-Z]{2}$/.test(code) ? code : null;
      } catch {
        return null;
      }
    },
  };
}
