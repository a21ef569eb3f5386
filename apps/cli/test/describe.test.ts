import { describe, expect, it } from 'vitest';

import type { MnistEvent } from '@lstm-mnist/data';

import { describeDataEvent } from '../src/describe.js';

describe('describeDataEvent', () => {
  it('says which attempt a download retry starts and after how long', () => {
    const event: MnistEvent = {
      type: 'download-retry',
      file: 'train-images-idx3-ubyte',
      url: 'http://127.0.0.1:9/train-images-idx3-ubyte.gz',
      attempt: 1,
      maxAttempts: 3,
      delayMs: 1500,
      reason: 'HTTP 503 Service Unavailable',
    };

    expect(describeDataEvent(event)).toBe(
      'Data: download of train-images-idx3-ubyte from http://127.0.0.1:9/train-images-idx3-ubyte.gz failed: ' +
        'HTTP 503 Service Unavailable; retrying in 1.5 s (attempt 2 of 3)',
    );
  });

  it('names a temporary file removed after an interrupted run', () => {
    expect(describeDataEvent({ type: 'temporary-file-removed', path: '/data/MNIST/raw/.x.tmp' })).toBe(
      'Data: removed /data/MNIST/raw/.x.tmp, left behind by an interrupted run',
    );
  });

  it('says every file is hashed again when the checksum memo is unusable', () => {
    expect(describeDataEvent({ type: 'checksum-memo-failed', path: '/data/memo.json', reason: 'invalid JSON' })).toBe(
      'Data: could not use the checksum memo /data/memo.json (invalid JSON); every file is hashed again',
    );
  });

  it('joins a failure reason to the next mirror without a stray period', () => {
    const event: MnistEvent = {
      type: 'download-failed',
      file: 't10k-labels-idx1-ubyte',
      url: 'http://127.0.0.1:9/a.gz',
      reason: 'Checksum mismatch for t10k-labels-idx1-ubyte.gz in http://127.0.0.1:9/a.gz: expected MD5 1, got 2.',
      nextUrl: 'http://127.0.0.1:9/b.gz',
    };

    expect(describeDataEvent(event)).toBe(
      'Data: download of t10k-labels-idx1-ubyte from http://127.0.0.1:9/a.gz failed: ' +
        'Checksum mismatch for t10k-labels-idx1-ubyte.gz in http://127.0.0.1:9/a.gz: expected MD5 1, got 2; trying http://127.0.0.1:9/b.gz',
    );
  });

  it('stays quiet for a verified file', () => {
    expect(describeDataEvent({ type: 'file-verified', file: 'f', location: '/d', compressed: false })).toBeUndefined();
  });
});
