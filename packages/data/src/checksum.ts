import { md5 } from '@noble/hashes/legacy.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/**
 * Returns the MD5 digest of `bytes` as 32 lowercase hex digits.
 *
 * MD5 is used only because the MNIST mirrors publish MD5 checksums: it detects corrupt or
 * truncated files, not tampering.
 */
export function md5Hex(bytes: Uint8Array): string {
  return bytesToHex(md5(bytes));
}
