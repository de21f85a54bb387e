import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../testing/app.js';
import { targets } from '../../testing/targets.js';
import { recordSecretFingerprint, secretFingerprint } from './fingerprint.js';

const A = 'replica-secret-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'replica-secret-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe.each(targets)('replicas sharing a database on %s', (target) => {
  it('refuse to start with a different secret, and accept a deliberate rotation', async () => {
    const first = await createTestApp({ target, secret: A });
    try {
      const same = await createTestApp({ target, replicaOf: first, secret: A });
      await same.close();
      await expect(createTestApp({ target, replicaOf: first, secret: B })).rejects.toThrow(
        /not the one the other processes sharing this database use .* Give every replica the same NEPTUNO_SECRET.*neptuno secret rotate/,
      );
      // Only a fingerprint is stored, never the secret.
      const rows = await first.ctx.db.selectFrom('neptuno_settings').select(['key', 'value']).execute();
      expect(JSON.stringify(rows)).not.toContain(A);
      expect(JSON.stringify(rows)).toContain(secretFingerprint(A));

      expect(await recordSecretFingerprint(first.ctx.db, B)).toEqual({ changed: true });
      const rotated = await createTestApp({ target, replicaOf: first, secret: B });
      await rotated.close();
      await expect(createTestApp({ target, replicaOf: first, secret: A })).rejects.toThrow(/NEPTUNO_SECRET/);
      expect(await recordSecretFingerprint(first.ctx.db, B)).toEqual({ changed: false });
    } finally {
      await first.close();
    }
  });
});
