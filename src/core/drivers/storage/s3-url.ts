/**
 * STORAGE_URL for an S3-compatible store:
 *
 *   s3://ACCESS_KEY:SECRET@host[:port]/bucket?region=eu-west-1&forcePathStyle=true&publicUrl=https://cdn.example.com
 *
 * - `s3://` speaks HTTPS to host, `s3+http://` plain HTTP (a store on the same private network).
 * - host `s3.amazonaws.com` (or `s3.<region>.amazonaws.com`) means AWS itself: no custom endpoint.
 * - no credentials: the AWS SDK's default chain (AWS_ACCESS_KEY_ID…, instance or task role).
 * - `forcePathStyle=true`: host/bucket/key instead of bucket.host/key (MinIO, most self-hosted stores).
 * - `publicUrl`: base of public objects' links (a CDN, the bucket's website); default: the bucket's own URL.
 * Percent-encode `/`, `+` and `@` inside the secret (`%2F`, `%2B`, `%40`).
 */
export interface S3Location {
  bucket: string;
  region: string;
  /** undefined: AWS's own endpoint for the region. */
  endpoint?: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Base of public links, without a trailing slash. */
  publicUrl: string;
}

export function parseS3Url(url: string, publicUrlOverride?: string | null): S3Location {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('storage.url: not a URL (expected s3://KEY:SECRET@host/bucket?region=…)');
  }
  if (u.protocol !== 's3:' && u.protocol !== 's3+http:') throw new Error('storage.url: must start with s3:// or s3+http://');
  const bucket = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ''));
  if (!bucket || bucket.includes('/')) throw new Error('storage.url: name the bucket as the path (s3://…@host/bucket)');
  const region = u.searchParams.get('region') ?? 'us-east-1';
  const aws = !u.hostname || /(^|\.)amazonaws\.com$/.test(u.hostname);
  const endpoint = aws ? undefined : `${u.protocol === 's3+http:' ? 'http' : 'https'}://${u.host}`;
  const forcePathStyle = ['true', '1'].includes(u.searchParams.get('forcePathStyle') ?? '');
  const credentials = u.username ? { accessKeyId: decodeURIComponent(u.username), secretAccessKey: decodeURIComponent(u.password) } : undefined;
  const fallback = endpoint
    ? forcePathStyle
      ? `${endpoint}/${bucket}`
      : `${endpoint.replace('://', `://${bucket}.`)}`
    : `https://${bucket}.s3.${region}.amazonaws.com`;
  const publicUrl = (publicUrlOverride ?? u.searchParams.get('publicUrl') ?? fallback).replace(/\/+$/, '');
  return { bucket, region, endpoint, forcePathStyle, credentials, publicUrl };
}

/** The URL with its secret replaced, for logs and error messages. */
export function redactStorageUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
}
