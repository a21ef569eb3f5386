import { describe, expect, it } from 'vitest';

import { md5Hex } from '../src/index.js';
import { nativeMd5Hex } from '../src/node/index.js';

// Well-known MD5 test vectors; both implementations must reproduce them.
const vectors = [
  ['', 'd41d8cd98f00b204e9800998ecf8427e'],
  ['abc', '900150983cd24fb0d6963f7d28e17f72'],
  ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
] as const;

describe('md5Hex', () => {
  it.each(vectors)('hashes %j to its known digest', (text, digest) => {
    expect(md5Hex(new TextEncoder().encode(text))).toBe(digest);
  });
});

describe('nativeMd5Hex', () => {
  it.each(vectors)('hashes %j to its known digest', (text, digest) => {
    expect(nativeMd5Hex(new TextEncoder().encode(text))).toBe(digest);
  });

  it('agrees with md5Hex on a view into a larger buffer', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256).subarray(17, 900);
    expect(nativeMd5Hex(bytes)).toBe(md5Hex(bytes));
  });
});
