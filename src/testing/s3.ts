import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from './s3-sigv4.js';

export interface TestS3Server {
  /** STORAGE_URL for this server's bucket (path style, plain HTTP). */
  url: string;
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Requests refused for their signature so far (each: S3 error code). */
  refused: string[];
  close(): Promise<void>;
}

/**
 * A local S3-compatible server for tests: s3rver (npm; objects in a temporary folder) behind a
 * SigV4 check written from AWS's documentation (s3-sigv4.ts; s3rver itself checks only the key
 * id). Anonymous requests may only read keys under `public/`, as the bucket policy in
 * docs/files.md allows on a real bucket.
 */
export async function startTestS3(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = opts.bucket ?? 'neptuno-test';
  const dir = mkdtempSync(join(tmpdir(), 'neptuno-s3-'));
  const { default: S3rver } = (await import('s3rver')) as { default: new (o: object) => S3rverApp };
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }] });
  const accessKeyId = 'S3RVER';
  const secretAccessKey = 'S3RVER';
  const refused: string[] = [];
  // First in the chain, before s3rver's own routing: Koa composes the array when it starts listening.
  server.middleware.unshift(async (ctx, next) => {
    const [rawPath, rawQuery = ''] = ctx.req.url!.split(/\?(.*)/s);
    const result = verifySigV4({ method: ctx.method, rawPath, rawQuery, headers: ctx.req.headers }, { [accessKeyId]: secretAccessKey });
    const anonymousRead = (ctx.method === 'GET' || ctx.method === 'HEAD') && rawPath.startsWith(`/${bucket}/public/`);
    const failure = !result.ok ? result : result.anonymous && !anonymousRead ? { status: 403, code: 'AccessDenied', message: 'Access Denied' } : null;
    if (failure) {
      refused.push(failure.code);
      ctx.status = failure.status;
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${failure.code}</Code><Message>${failure.message}</Message></Error>`;
      return;
    }
    await next();
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    url: `s3+http://${accessKeyId}:${secretAccessKey}@127.0.0.1:${address.port}/${bucket}?region=us-east-1&forcePathStyle=true`,
    endpoint,
    bucket,
    accessKeyId,
    secretAccessKey,
    refused,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface KoaContext {
  req: import('node:http').IncomingMessage;
  method: string;
  status: number;
  type: string;
  body: unknown;
}

interface S3rverApp {
  middleware: Array<(ctx: KoaContext, next: () => Promise<void>) => Promise<void>>;
  run(): Promise<unknown>;
  close(): Promise<void>;
}
