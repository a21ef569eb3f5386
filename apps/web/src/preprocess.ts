import { MNIST_MEAN, MNIST_STD } from '@lstm-mnist/data';

/** Side of an MNIST image in pixels. */
export const MNIST_SIDE = 28;
/** Side of the box that MNIST scales each digit into, keeping its aspect ratio. */
export const DIGIT_BOX_SIDE = 20;
/** Ink below this intensity (0..1) does not count towards the bounding box. */
export const INK_THRESHOLD = 0.05;

/** A greyscale image, row-major, intensities 0 (background) to 1 (ink). */
export interface GreyImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** The model input made from a drawing. */
export interface DigitInput {
  /** `[28 * 28]` intensities 0..1, row-major, as `ToTensor` gives them; for display. */
  pixels: Float32Array;
  /** `[28 * 28]` float32 after `Normalize(MNIST_MEAN, MNIST_STD)`, the model's input. */
  normalized: Float32Array;
}

/** Reads the red channel of RGBA pixels (white ink on black) as intensities 0..1. */
export function greyFromRgba(rgba: Uint8ClampedArray, width: number, height: number): GreyImage {
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = (rgba[i * 4] ?? 0) / 255;
  return { width, height, data };
}

/**
 * Turns a drawing into an MNIST-like input the way MNIST itself was made. The ink's bounding box is
 * cropped and scaled by area averaging so that its longer side is 20 pixels, keeping the aspect ratio.
 * The result goes into a 28x28 image with its centre of mass on the image centre (13.5, 13.5), shifted
 * by whole pixels and never past the border. Returns undefined when the image has no ink.
 */
// TODO: share one implementation with `preprocessDigit` of @lstm-mnist/data, which the CLI's `predict`
// uses. The two differ today: that one centres the mass on pixel (14, 14), measured on MNIST's test set.
export function drawingToMnistInput(image: GreyImage): DigitInput | undefined {
  const box = inkBoundingBox(image);
  if (box === undefined) return undefined;

  const scale = DIGIT_BOX_SIDE / Math.max(box.width, box.height);
  const width = Math.max(1, Math.round(box.width * scale));
  const height = Math.max(1, Math.round(box.height * scale));
  const digit = resizeArea(image, box, width, height);

  const pixels = placeByCentreOfMass(digit, width, height);
  const normalized = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) normalized[i] = ((pixels[i] ?? 0) - MNIST_MEAN) / MNIST_STD;
  return { pixels, normalized };
}

interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

function inkBoundingBox(image: GreyImage): Box | undefined {
  let left = image.width;
  let top = image.height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if ((image.data[y * image.width + x] ?? 0) <= INK_THRESHOLD) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return undefined;
  return { left, top, width: right - left + 1, height: bottom - top + 1 };
}

/** Scales the box of `image` to `width` x `height` by averaging the source area under each target pixel. */
function resizeArea(image: GreyImage, box: Box, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height);
  const stepX = box.width / width;
  const stepY = box.height / height;

  for (let ty = 0; ty < height; ty++) {
    const y0 = box.top + ty * stepY;
    const y1 = y0 + stepY;
    for (let tx = 0; tx < width; tx++) {
      const x0 = box.left + tx * stepX;
      const x1 = x0 + stepX;
      let sum = 0;
      for (let sy = Math.floor(y0); sy < Math.ceil(y1); sy++) {
        const coverY = Math.min(y1, sy + 1) - Math.max(y0, sy);
        for (let sx = Math.floor(x0); sx < Math.ceil(x1); sx++) {
          const coverX = Math.min(x1, sx + 1) - Math.max(x0, sx);
          sum += (image.data[sy * image.width + sx] ?? 0) * coverX * coverY;
        }
      }
      out[ty * width + tx] = sum / (stepX * stepY);
    }
  }
  return out;
}

function placeByCentreOfMass(digit: Float32Array, width: number, height: number): Float32Array {
  let mass = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const value = digit[y * width + x] ?? 0;
      mass += value;
      sumX += value * x;
      sumY += value * y;
    }
  }

  const centre = (MNIST_SIDE - 1) / 2;
  const offsetX = clamp(Math.round(centre - sumX / mass), 0, MNIST_SIDE - width);
  const offsetY = clamp(Math.round(centre - sumY / mass), 0, MNIST_SIDE - height);

  const pixels = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[(y + offsetY) * MNIST_SIDE + x + offsetX] = Math.min(1, digit[y * width + x] ?? 0);
    }
  }
  return pixels;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
