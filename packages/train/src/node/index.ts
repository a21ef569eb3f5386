/** Node-only part of `@lstm-mnist/train`: checkpoint files in a folder. */
export {
  checkpointFileName,
  CheckpointNotFoundError,
  DEFAULT_KEEP_CHECKPOINTS,
  listCheckpoints,
  loadLatestCheckpoint,
  readCheckpoint,
  removeTemporaryCheckpointFiles,
  writeCheckpoint,
} from './checkpoint-directory.js';
export type { CheckpointFile, LoadedCheckpoint, UnreadableCheckpoint } from './checkpoint-directory.js';
