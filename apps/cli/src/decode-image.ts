import { readFile } from 'node:fs/promises';

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

import type { DigitImage } from '@lstm-mnist/data';

import { UserFacingError } from './user-facing-error.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** Largest decoded JPEG that jpeg-js may allocate, in MB; a 4000x3000 photo needs about 48. */
const MAX_JPEG_MEMORY_MB = 512;

/**
 * Reads a PNG or JPEG file, recognised by its signature bytes, as 8-bit RGBA pixels
 * (pngjs scales 16-bit PNGs down to 8 bits and expands palettes and grey levels).
 *
 * @throws UserFacingError naming `path` when the file is another format or cannot be decoded.
 */
export async function decodeImageFile(path: string): Promise<DigitImage> {
  const bytes = await readFile(path);

  if (startsWith(bytes, PNG_SIGNATURE)) {
    try {
      const png = pngjs.PNG.sync.read(bytes);
      return { width: png.width, height: png.height, channels: 4, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    } catch (error) {
      throw new UserFacingError(`${path}: invalid PNG image (${(error as Error).message}).`, { cause: error });
    }
  }
  if (startsWith(bytes, JPEG_SIGNATURE)) {
    try {
      const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: MAX_JPEG_MEMORY_MB });
      return { width: image.width, height: image.height, channels: 4, data: image.data };
    } catch (error) {
      throw new UserFacingError(`${path}: invalid JPEG image (${(error as Error).message}).`, { cause: error });
    }
  }

  const head = [...bytes.subarray(0, 4)].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
  throw new UserFacingError(`${path} is not a PNG or JPEG image (it starts with bytes ${head || 'none: the file is empty'}). Pass PNG or JPEG files.`);
}

function startsWith(bytes: Uint8Array, signature: number[]): boolean {
  return signature.every((byte, index) => bytes[index] === byte);
}
