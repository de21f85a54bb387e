import { S3Client, DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { StorageRangeError, type ByteRange, type ListedObject, type ObjectInfo, type ObjectStream, type PutOptions, type PutResult, type Storage, type StorageBody, type UrlOptions } from './contract.js';
import { digestStream, toReadable } from './body.js';
import { assertKey, assertPrefix, contentDisposition, encodeKey, isPublicKey } from './keys.js';
import type { S3Location } from './s3-url.js';

export interface S3StorageOptions extends S3Location {
  signedUrlExpiresIn: number;
  /** Bytes per part of a streamed upload (min 5 MiB, S3's floor). */
  partSize?: number;
}

const notFound = (err: unknown) =>
  err instanceof S3ServiceException && (err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata.httpStatusCode === 404);

/**
 * Any S3-compatible store through the AWS SDK v3. Uploads stream through lib-storage's Upload
 * (multipart past one part, at most two parts in memory); a body that fails aborts the multipart
 * upload, so nothing is left. Links are presigned (SigV4 query) and served by the store itself.
 */
export class S3Storage implements Storage {
  readonly driver = 's3' as const;
  readonly client: S3Client;

  constructor(private readonly opts: S3StorageOptions) {
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      credentials: opts.credentials,
      // Checksums only where S3 requires them: the SDK's default (CRC32 trailers in aws-chunked
      // bodies) is not understood by many S3-compatible stores.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  async put(key: string, body: StorageBody, opts: PutOptions = {}): Promise<PutResult> {
    assertKey(key);
    const source = toReadable(body);
    const digest = digestStream();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.opts.bucket, Key: key, Body: digest, ContentType: opts.contentType ?? 'application/octet-stream', CacheControl: opts.cacheControl },
      queueSize: 2,
      partSize: Math.max(this.opts.partSize ?? 5 * 1024 * 1024, 5 * 1024 * 1024),
      leavePartsOnError: false,
    });
    // The source failing ends the digest with its error, which fails (and aborts) the upload;
    // the upload failing stops the source, so neither waits on the other forever.
    source.on('error', (err) => digest.destroy(err));
    source.pipe(digest);
    try {
      await upload.done();
    } catch (err) {
      source.destroy();
      throw err;
    }
    return { key, ...digest.result() };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertKey(key);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return {
        key,
        size: r.ContentLength ?? 0,
        etag: r.ETag ?? '',
        lastModified: r.LastModified ?? new Date(0),
        contentType: r.ContentType ?? 'application/octet-stream',
        cacheControl: r.CacheControl ?? null,
      };
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  }

  async get(key: string, opts: { range?: ByteRange } = {}): Promise<ObjectStream | null> {
    assertKey(key);
    const { range } = opts;
    if (range && (!Number.isSafeInteger(range.start) || range.start < 0 || (range.end !== undefined && range.end < range.start))) {
      throw new StorageRangeError((await this.head(key))?.size ?? 0);
    }
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: this.opts.bucket, Key: key, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
      );
      const got = range && r.ContentRange ? /bytes (\d+)-(\d+)\/(\d+)/.exec(r.ContentRange) : null;
      const size = got ? Number(got[3]) : (r.ContentLength ?? 0);
      return {
        key,
        size,
        etag: r.ETag ?? '',
        lastModified: r.LastModified ?? new Date(0),
        contentType: r.ContentType ?? 'application/octet-stream',
        cacheControl: r.CacheControl ?? null,
        body: r.Body as Readable,
        range: got ? { start: Number(got[1]), end: Number(got[2]) } : range ? { start: 0, end: size - 1 } : null,
      };
    } catch (err) {
      if (notFound(err)) return null;
      if (err instanceof S3ServiceException && (err.name === 'InvalidRange' || err.$metadata.httpStatusCode === 416)) {
        throw new StorageRangeError((await this.head(key))?.size ?? 0);
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.opts.bucket, Key: key }));
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertPrefix(prefix);
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: prefix || undefined, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        yield { key: o.Key, size: o.Size ?? 0, etag: o.ETag ?? '', lastModified: o.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  isPublic(key: string): boolean {
    return isPublicKey(key);
  }

  async url(key: string, opts: UrlOptions = {}): Promise<string> {
    assertKey(key);
    if (isPublicKey(key)) return `${this.opts.publicUrl}/${encodeKey(key)}`;
    const expiresIn = opts.expiresIn ?? this.opts.signedUrlExpiresIn;
    const command = new GetObjectCommand({
      Bucket: this.opts.bucket,
      Key: key,
      // The link is the capability: caches may keep the answer as long as the link lives, privately.
      ResponseCacheControl: `private, max-age=${expiresIn}`,
      ResponseContentDisposition: opts.download ? contentDisposition('attachment', opts.download) : undefined,
    });
    return getSignedUrl(this.client, command, { expiresIn });
  }

  async ping(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }));
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
