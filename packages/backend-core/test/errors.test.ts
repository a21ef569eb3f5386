import { describe, expect, it } from 'vitest';

import { BackendUnavailableError, errorMessage } from '../src/index.js';

describe('BackendUnavailableError', () => {
  it('puts the reason and the fix in its message', () => {
    const error = new BackendUnavailableError('wasm', 'the .wasm file was not found', 'pass wasmPaths');

    expect(error.message).toBe("Backend 'wasm' is unavailable: the .wasm file was not found. To fix: pass wasmPaths");
  });

  it('keeps backend, reason and installHint as fields', () => {
    const error = new BackendUnavailableError('cpu', 'no backend loaded', 'npm install @tensorflow/tfjs-backend-cpu');

    expect(error.backend).toBe('cpu');
    expect(error.reason).toBe('no backend loaded');
    expect(error.installHint).toBe('npm install @tensorflow/tfjs-backend-cpu');
  });

  it('names itself and keeps its cause', () => {
    const cause = new Error('factory failed');
    const error = new BackendUnavailableError('webgl', 'initialising failed', 'choose wasm', { cause });

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('BackendUnavailableError');
    expect(error.cause).toBe(cause);
  });
});

describe('errorMessage', () => {
  it('reads the message of an Error', () => {
    expect(errorMessage(new TypeError('bad'))).toBe('bad');
  });

  it('reads the message of a plain object', () => {
    expect(errorMessage({ message: 'wasm abort' })).toBe('wasm abort');
  });

  it('returns a thrown string unchanged', () => {
    expect(errorMessage('backend not found')).toBe('backend not found');
  });

  it('converts anything else to text', () => {
    expect(errorMessage(42)).toBe('42');
  });

  it('ignores a message that is not a string', () => {
    expect(errorMessage({ message: 7 })).toBe('[object Object]');
  });
});
