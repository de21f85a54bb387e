import type { Readable } from 'node:stream';

/** What `put` accepts: a stream (never read whole into memory) or bytes already in memory. */
export type StorageBody = Readable | Buffer | Uint8Array | string;

export interface PutOptions {
  /** Stored and served as Content-Type (default application/octet-stream). */
  contentType?: string;
  /** Stored and served as Cache-Control (e.g. `public, max-age=31536000, immutable`). */
  cacheControl?: string;
}

/** An object as `list` reports it (S3 listings carry no content type). */
export interface ListedObject {
  key: string;
  size: number;
  /** Opaque; changes whenever the content does. */
  etag: string;
  lastModified: Date;
}

export interface ObjectInfo extends ListedObject {
  contentType: string;
  cacheControl: string | null;
}

export interface PutResult {
  key: string;
  size: number;
  /** Hex SHA-256 of the bytes stored, computed while they streamed through. */
  sha256: string;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`; `end` omitted: to the last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectStream extends ObjectInfo {
  body: Readable;
  /** The bytes `body` holds when a range was asked for (inclusive), else null (the whole object). */
  range: { start: number; end: number } | null;
}

export interface UrlOptions {
  /** Seconds the link works (private keys; default `storage.signedUrlExpiresIn`). */
  expiresIn?: number;
  /** Served as an attachment with this file name (Content-Disposition), instead of inline. */
  download?: string;
}

/**
 * Object storage: a local folder (embedded default) or any S3-compatible store (STORAGE_URL).
 *
 * Keys are `/`-separated segments of letters, digits and `!-_.*'()` (no empty, `.`-leading or
 * `..` segment, at most 1024 bytes): both drivers refuse anything else with StorageKeyError,
 * so no key can leave the folder or mean something else on another store.
 *
 * Keys under `public/` are public: `url()` gives a permanent link anyone may fetch (served by
 * Neptuno for the local driver, by the store or `storage.publicUrl` for S3). Every other key is
 * private: `url()` gives a signed link that expires.
 */
export interface Storage {
  readonly driver: 'local' | 's3';
  /**
   * Stores the body under key, replacing any object there. Readers see the old object or the new
   * one, never a part; a body stream that fails leaves nothing behind (the promise rejects).
   */
  put(key: string, body: StorageBody, opts?: PutOptions): Promise<PutResult>;
  /** The object's bytes as a stream (a range of them if asked), or null when there is none. Throws StorageRangeError for a range past the end. */
  get(key: string, opts?: { range?: ByteRange }): Promise<ObjectStream | null>;
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Every object whose key starts with prefix, in key order (UTF-8 binary, as S3 lists). */
  list(prefix: string): AsyncIterable<ListedObject>;
  /** A public link (keys under `public/`) or a signed, expiring one (any other key). */
  url(key: string, opts?: UrlOptions): Promise<string>;
  isPublic(key: string): boolean;
  /** Throws when the store cannot be reached (health check, start-up). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class StorageKeyError extends Error {
  constructor(key: string, reason: string) {
    super(`invalid storage key ${JSON.stringify(key.slice(0, 100))}: ${reason}`);
    this.name = 'StorageKeyError';
  }
}

/** A range that starts past the end of the object (HTTP 416). */
export class StorageRangeError extends Error {
  constructor(readonly size: number) {
    super(`range not satisfiable (object size ${size})`);
    this.name = 'StorageRangeError';
  }
}
