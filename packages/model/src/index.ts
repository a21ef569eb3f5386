export {
  DEFAULT_HIDDEN_SIZE,
  DEFAULT_INPUT_SIZE,
  DEFAULT_LSTM_CONFIG,
  DEFAULT_NUM_CLASSES,
  DEFAULT_NUM_LAYERS,
  LSTMConfigError,
  type LSTMModelConfig,
  resolveLSTMConfig,
  validateLSTMConfig,
} from './config.js';
export { IncompatibleModelError } from './layers-format.js';
export { LSTM_SEQUENCE_GRAD_KERNEL, LSTM_SEQUENCE_KERNEL, type LSTMSequenceAttrs } from './lstm-kernel-contract.js';
export { LSTMModel, type LSTMModelOptions, type StateDictInput, StateDictError } from './lstm-model.js';
export { createSeededRandom, drawRandomSeed, type RandomSource } from './random.js';
export {
  decodeSafetensors,
  encodeSafetensors,
  parseSafetensors,
  SAFETENSORS_LENGTH_BYTES,
  SAFETENSORS_MAX_HEADER_BYTES,
  type SafetensorsContents,
  type SafetensorsData,
  type SafetensorsDtype,
  SafetensorsFormatError,
  type SafetensorsTensor,
  safetensorToTensor,
} from './safetensors.js';
