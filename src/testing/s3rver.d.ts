// s3rver ships no types; src/testing/s3.ts describes the little it uses.
declare module 's3rver';
