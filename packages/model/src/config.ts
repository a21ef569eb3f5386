/** Sizes of the stacked-LSTM classifier. Every field is a positive integer. */
export interface LSTMModelConfig {
  /** Features per time step: 28 pixels per image row for sequential MNIST. */
  inputSize: number;
  /** Units in each LSTM layer (PyTorch's `hidden_size`). */
  hiddenSize: number;
  /** Stacked LSTM layers. Layer k > 0 reads the hidden states of layer k - 1. */
  numLayers: number;
  /** Output logits, one per class. */
  numClasses: number;
}

/** Features per time step of the default model: one 28-pixel MNIST row. */
export const DEFAULT_INPUT_SIZE = 28;
/** Units per LSTM layer of the default model. */
export const DEFAULT_HIDDEN_SIZE = 128;
/** LSTM layers of the default model. */
export const DEFAULT_NUM_LAYERS = 2;
/** Classes of the default model: the ten MNIST digits. */
export const DEFAULT_NUM_CLASSES = 10;

/** The sequential-MNIST model: `nn.LSTM(28, 128, num_layers=2)` and `nn.Linear(128, 10)`. */
export const DEFAULT_LSTM_CONFIG: Readonly<LSTMModelConfig> = Object.freeze({
  inputSize: DEFAULT_INPUT_SIZE,
  hiddenSize: DEFAULT_HIDDEN_SIZE,
  numLayers: DEFAULT_NUM_LAYERS,
  numClasses: DEFAULT_NUM_CLASSES,
});

const CONFIG_FIELDS: readonly (keyof LSTMModelConfig)[] = ['inputSize', 'hiddenSize', 'numLayers', 'numClasses'];

/** Thrown for a config field that is unknown or not a positive integer. `field` and `value` name the culprit. */
export class LSTMConfigError extends Error {
  override readonly name = 'LSTMConfigError';

  constructor(
    message: string,
    readonly field: string,
    readonly value: unknown,
  ) {
    super(message);
  }
}

/**
 * Checks that `config` has exactly the four fields of {@link LSTMModelConfig},
 * each a positive safe integer.
 *
 * @throws LSTMConfigError naming the first invalid or unknown field and its value.
 */
export function validateLSTMConfig(config: LSTMModelConfig): void {
  for (const field of Object.keys(config)) {
    if (!(CONFIG_FIELDS as readonly string[]).includes(field)) {
      throw new LSTMConfigError(
        `Unknown LSTM config field '${field}'. Expected only ${CONFIG_FIELDS.join(', ')}.`,
        field,
        (config as unknown as Record<string, unknown>)[field],
      );
    }
  }

  for (const field of CONFIG_FIELDS) {
    const value: unknown = config[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
      throw new LSTMConfigError(
        `Invalid LSTM config: ${field} must be a positive integer, got ${describeValue(value)}.`,
        field,
        value,
      );
    }
  }
}

/**
 * Fills the fields missing from `overrides` with {@link DEFAULT_LSTM_CONFIG} and validates the result.
 * A field set to `undefined` takes its default.
 *
 * @throws LSTMConfigError as {@link validateLSTMConfig} does.
 */
export function resolveLSTMConfig(overrides: Partial<LSTMModelConfig> = {}): LSTMModelConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const config = { ...DEFAULT_LSTM_CONFIG, ...defined } as LSTMModelConfig;

  validateLSTMConfig(config);

  return config;
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return `the string '${value}'`;
  }
  return String(value);
}
