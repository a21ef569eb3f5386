import { describe, expect, it } from 'vitest';

import { DEFAULT_LSTM_CONFIG, LSTMConfigError, type LSTMModelConfig, resolveLSTMConfig, validateLSTMConfig } from '../src/index.js';

function configError(run: () => unknown): LSTMConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof LSTMConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected an LSTMConfigError');
}

describe('DEFAULT_LSTM_CONFIG', () => {
  it('is the sequential-MNIST model 28/128/2/10', () => {
    expect(DEFAULT_LSTM_CONFIG).toEqual({ inputSize: 28, hiddenSize: 128, numLayers: 2, numClasses: 10 });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(DEFAULT_LSTM_CONFIG)).toBe(true);
  });
});

describe('resolveLSTMConfig', () => {
  it('fills missing fields with defaults', () => {
    expect(resolveLSTMConfig({ hiddenSize: 64 })).toEqual({ inputSize: 28, hiddenSize: 64, numLayers: 2, numClasses: 10 });
  });

  it('treats undefined fields as missing', () => {
    expect(resolveLSTMConfig({ numLayers: undefined })).toEqual(DEFAULT_LSTM_CONFIG);
  });

  it('returns a new object', () => {
    expect(resolveLSTMConfig()).not.toBe(DEFAULT_LSTM_CONFIG);
  });
});

describe('validateLSTMConfig', () => {
  const cases: [keyof LSTMModelConfig, unknown, string][] = [
    ['inputSize', 0, 'Invalid LSTM config: inputSize must be a positive integer, got 0.'],
    ['hiddenSize', -4, 'Invalid LSTM config: hiddenSize must be a positive integer, got -4.'],
    ['numLayers', 1.5, 'Invalid LSTM config: numLayers must be a positive integer, got 1.5.'],
    ['numClasses', Number.NaN, 'Invalid LSTM config: numClasses must be a positive integer, got NaN.'],
    ['hiddenSize', '128', "Invalid LSTM config: hiddenSize must be a positive integer, got the string '128'."],
    ['inputSize', Number.POSITIVE_INFINITY, 'Invalid LSTM config: inputSize must be a positive integer, got Infinity.'],
  ];

  it.each(cases)('rejects %s = %s', (field, value, message) => {
    const error = configError(() => validateLSTMConfig({ ...DEFAULT_LSTM_CONFIG, [field]: value }));

    expect(error.message).toBe(message);
    expect(error.field).toBe(field);
    expect(error.value).toBe(value);
  });

  it('rejects an unknown field and lists the known ones', () => {
    const error = configError(() => resolveLSTMConfig({ hidenSize: 64 } as Partial<LSTMModelConfig>));

    expect(error.message).toBe("Unknown LSTM config field 'hidenSize'. Expected only inputSize, hiddenSize, numLayers, numClasses.");
    expect(error.field).toBe('hidenSize');
  });

  it('accepts the defaults', () => {
    expect(() => validateLSTMConfig({ ...DEFAULT_LSTM_CONFIG })).not.toThrow();
  });
});
