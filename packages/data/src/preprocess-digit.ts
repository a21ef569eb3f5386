import { MNIST_IMAGE_SIZE } from './mnist-files.js';

/** Largest 8-bit channel value. This file stays free of tfjs so any page or worker can run it. */
const PIXEL_MAX = 255;

/** Side of the box that MNIST fits each digit into, keeping its aspect ratio, before centring it in 28x28. */
export const DIGIT_BOX_SIZE = 20;

/**
 * Fraction of the ink range (after the background level is removed) below which a pixel counts as
 * background when cropping. It keeps JPEG noise and paper texture out of the bounding box.
 */
export const DIGIT_INK_THRESHOLD = 0.1;

/** A decoded image: 8-bit channels, row-major, `channels` values per pixel (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). */
export interface DigitImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray;
}

/** Thrown for an image that cannot become an MNIST digit: wrong data length, or no ink at all. */
export class DigitImageError extends Error {
  override readonly name = 'DigitImageError';
}

/**
 * Turns a photo or drawing of one digit into an MNIST-style image, with the steps that made MNIST.
 * The image becomes grey levels, inverted when the background is light so the ink is bright on black.
 * The background level is removed and the image cropped to the ink. The crop is scaled to fit 20x20,
 * keeping the aspect ratio (area averaging), and placed in 28x28 with its centre of mass at pixel (14, 14).
 * Transparent pixels are composited over white.
 *
 * @returns uint8 `[28 * 28]` row-major, 0 background and up to 255 ink, like `t10k-images-idx3-ubyte`.
 * @throws DigitImageError when `data` does not hold `width * height * channels` values, or the image is blank.
 */
export function preprocessDigit(image: DigitImage): Uint8Array {
  const grey = toInk(image);
  const box = inkBoundingBox(grey, image.width, image.height);
  if (box === undefined) {
    throw new DigitImageError(`The ${image.width}x${image.height} image is blank: no pixel differs from the background, so it contains no digit.`);
  }

  const scale = DIGIT_BOX_SIZE / Math.max(box.width, box.height);
  const width = Math.max(1, Math.round(box.width * scale));
  const height = Math.max(1, Math.round(box.height * scale));
  const scaled = resampleArea(grey, image.width, box, width, height);
  return centreByMass(scaled, width, height);
}

/** Grey levels in [0, 1] with ink high: inverted when the border is light, background level subtracted. */
function toInk(image: DigitImage): Float32Array {
  const { width, height, channels, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DigitImageError(`Invalid image size ${width}x${height}: expected positive whole numbers.`);
  }
  if (data.length !== width * height * channels) {
    throw new DigitImageError(`Image data has ${data.length} values, expected ${width} x ${height} x ${channels} = ${width * height * channels}.`);
  }

  const grey = new Float32Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = luminance(data, i * channels, channels) / PIXEL_MAX;

  const background = borderMedian(grey, width, height);
  const invert = background > 0.5;
  const backgroundInk = invert ? 1 - background : background;
  let maxInk = 0;
  for (let i = 0; i < grey.length; i++) {
    const ink = Math.max(0, (invert ? 1 - (grey[i] as number) : (grey[i] as number)) - backgroundInk);
    grey[i] = ink;
    maxInk = Math.max(maxInk, ink);
  }
  if (maxInk > 0) for (let i = 0; i < grey.length; i++) grey[i] = (grey[i] as number) / maxInk;
  return grey;
}

/** ITU-R BT.601 luma of one pixel in [0, 255], composited over white when there is alpha. */
function luminance(data: Uint8Array | Uint8ClampedArray, offset: number, channels: number): number {
  const hasAlpha = channels === 2 || channels === 4;
  const luma = channels >= 3
    ? 0.299 * (data[offset] as number) + 0.587 * (data[offset + 1] as number) + 0.114 * (data[offset + 2] as number)
    : (data[offset] as number);
  if (!hasAlpha) return luma;
  const alpha = (data[offset + channels - 1] as number) / PIXEL_MAX;
  return alpha * luma + (1 - alpha) * PIXEL_MAX;
}

function borderMedian(grey: Float32Array, width: number, height: number): number {
  const border: number[] = [];
  for (let x = 0; x < width; x++) border.push(grey[x] as number, grey[(height - 1) * width + x] as number);
  for (let y = 0; y < height; y++) border.push(grey[y * width] as number, grey[y * width + width - 1] as number);
  border.sort((a, b) => a - b);
  return border[Math.floor(border.length / 2)] as number;
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function inkBoundingBox(ink: Float32Array, width: number, height: number): Box | undefined {
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if ((ink[y * width + x] as number) < DIGIT_INK_THRESHOLD) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  return right < 0 ? undefined : { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/**
 * Resamples `box` of `source` to `width` x `height` by area averaging: each output pixel is the mean
 * of the source area it covers, with partial pixels weighted by their overlap.
 */
function resampleArea(source: Float32Array, sourceWidth: number, box: Box, width: number, height: number): Float32Array {
  const output = new Float32Array(width * height);
  const stepX = box.width / width;
  const stepY = box.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = box.top + y * stepY;
    const y1 = Math.min(y0 + stepY, box.top + box.height);
    for (let x = 0; x < width; x++) {
      const x0 = box.left + x * stepX;
      const x1 = Math.min(x0 + stepX, box.left + box.width);
      let sum = 0;
      for (let sy = Math.floor(y0); sy < y1; sy++) {
        const coverY = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < x1; sx++) {
          const coverX = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += coverX * coverY * (source[sy * sourceWidth + sx] as number);
        }
      }
      output[y * width + x] = sum / (stepX * stepY);
    }
  }
  return output;
}

/** Places the scaled digit in 28x28, shifted by whole pixels so its centre of mass lands on pixel (14, 14). */
function centreByMass(digit: Float32Array, width: number, height: number): Uint8Array {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = digit[y * width + x] as number;
      mass += value;
      sumX += value * x;
      sumY += value * y;
    }
  }
  // MNIST puts the centre of mass at pixel (14, 14), not 13.5: the 10,000 test digits average (14.01, 13.99).
  const centre = MNIST_IMAGE_SIZE / 2;
  const left = clamp(Math.round(centre - sumX / mass), 0, MNIST_IMAGE_SIZE - width);
  const top = clamp(Math.round(centre - sumY / mass), 0, MNIST_IMAGE_SIZE - height);

  const output = new Uint8Array(MNIST_IMAGE_SIZE * MNIST_IMAGE_SIZE);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      output[(top + y) * MNIST_IMAGE_SIZE + left + x] = Math.round((digit[y * width + x] as number) * PIXEL_MAX);
    }
  }
  return output;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
