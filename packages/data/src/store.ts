/**
 * Storage for MNIST files: a folder in Node (`DirectoryFileStore` from `@lstm-mnist/data/node`),
 * memory in tests, or a browser cache. Names are plain file names without folders.
 */
export interface MnistFileStore {
  /** Returns the file's bytes, or undefined when the store has no such file. */
  read(name: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `name`, replacing any file with that name. Readers never see a partial file. */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Names the location for messages, e.g. the folder path. */
  describe(): string;
}

/** A {@link MnistFileStore} in memory; it keeps the arrays it is given without copying them. */
export class MemoryFileStore implements MnistFileStore {
  private readonly files = new Map<string, Uint8Array>();

  /**
   * @param files initial contents by name.
   * @param label the location that {@link describe} returns.
   */
  constructor(files: Record<string, Uint8Array> = {}, private readonly label = 'memory') {
    for (const [name, bytes] of Object.entries(files)) {
      this.files.set(name, bytes);
    }
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    return this.files.get(name);
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    this.files.set(name, bytes);
  }

  describe(): string {
    return this.label;
  }

  /** Names of the stored files, in insertion order. */
  names(): string[] {
    return [...this.files.keys()];
  }
}
