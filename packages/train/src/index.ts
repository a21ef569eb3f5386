export {
  Adam,
  DEFAULT_ADAM_BETA1,
  DEFAULT_ADAM_BETA2,
  DEFAULT_ADAM_EPSILON,
  DEFAULT_LEARNING_RATE,
} from './adam.js';
export type { AdamOptions, AdamState } from './adam.js';
export { FUSED_ADAM_KERNEL, type FusedAdamAttrs } from './adam-kernel-contract.js';
export {
  captureCheckpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CheckpointFormatError,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
} from './checkpoint.js';
export type {
  CheckpointableModel,
  CheckpointableOptimizer,
  CheckpointMetadata,
  DataOrderState,
  JsonValue,
  StoredAdamState,
  StoredTensor,
  TrainingCheckpoint,
} from './checkpoint.js';
export { LossLimitExceededError, NonFiniteLossError, TrainingDivergedError } from './errors.js';
export { evaluate } from './evaluate.js';
export type { EvaluateOptions, EvaluationResult } from './evaluate.js';
export { DEFAULT_LOG_EVERY_STEPS, TrainEventEmitter, formatStepLine, isLogStep } from './events.js';
export type {
  EpochEndEvent,
  StepEvent,
  TrainEvent,
  TrainEventListener,
  TrainEventOf,
} from './events.js';
export { crossEntropy } from './loss.js';
export { DEFAULT_EPOCHS, Trainer, train } from './trainer.js';
export type { CheckpointReason, TrainingPosition, TrainOptions, TrainResult } from './trainer.js';
export type { BatchLike, BatchLoader, ClassifierModel, Optimizer, TrainableModel } from './types.js';
