import { createHash } from 'node:crypto';

/** Returns the MD5 of `bytes` as 32 lowercase hex digits, computed by Node's OpenSSL binding. */
export function nativeMd5Hex(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}
