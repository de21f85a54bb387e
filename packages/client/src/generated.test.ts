import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED, generateSource } from '../scripts/generate.js';

describe('neptuno-client generated types', () => {
  // A route changed without regenerating: front-ends would compile against an API that is gone.
  it('match the OpenAPI document of the current sources (run `npm run client:generate` if not)', { timeout: 120_000 }, async () => {
    const committed = readFileSync(GENERATED, 'utf8');
    const fresh = await generateSource();
    if (fresh !== committed) {
      const a = committed.split('\n');
      const b = fresh.split('\n');
      const line = a.findIndex((l, i) => l !== b[i]);
      expect.fail(`packages/client/src/generated/openapi.ts is stale from line ${line + 1}: run \`npm run client:generate\`\n- ${a[line]}\n+ ${b[line]}`);
    }
  });
});
