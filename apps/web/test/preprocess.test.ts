import { MNIST_MEAN, MNIST_STD } from '@lstm-mnist/data';
import { describe, expect, test } from 'vitest';

import { drawingToMnistInput, greyFromRgba, type GreyImage, MNIST_SIDE } from '../src/preprocess.js';

const PAD_SIDE = 280;

/** Creates a black 280x280 pad with the rectangle [left, left + width) x [top, top + height) at full ink. */
function padWithBlock(left: number, top: number, width: number, height: number): GreyImage {
  const data = new Float32Array(PAD_SIDE * PAD_SIDE);
  for (let y = top; y < top + height; y++) data.fill(1, y * PAD_SIDE + left, y * PAD_SIDE + left + width);
  return { width: PAD_SIDE, height: PAD_SIDE, data };
}

function inkRows(pixels: Float32Array): number[] {
  const rows: number[] = [];
  for (let y = 0; y < MNIST_SIDE; y++) {
    if (pixels.subarray(y * MNIST_SIDE, (y + 1) * MNIST_SIDE).some((value) => value > 0)) rows.push(y);
  }
  return rows;
}

function centreOfMass(pixels: Float32Array): { x: number; y: number } {
  let mass = 0;
  let x = 0;
  let y = 0;
  pixels.forEach((value, index) => {
    mass += value;
    x += value * (index % MNIST_SIDE);
    y += value * Math.floor(index / MNIST_SIDE);
  });
  return { x: x / mass, y: y / mass };
}

describe('drawingToMnistInput', () => {
  test('horizontal block becomes a centred 20x5 bar', () => {
    // 40x10 ink in the pad's top-left corner: scaled by 1/2 to 20x5, then centred by mass.
    const input = drawingToMnistInput(padWithBlock(10, 30, 40, 10));
    if (input === undefined) throw new Error('expected an input for a pad with ink');

    const expected = new Float32Array(MNIST_SIDE * MNIST_SIDE);
    for (let y = 12; y < 17; y++) expected.fill(1, y * MNIST_SIDE + 4, y * MNIST_SIDE + 24);
    expect([...input.pixels]).toEqual([...expected]);
  });

  test('centre of mass lands within half a pixel of the centre', () => {
    const input = drawingToMnistInput(padWithBlock(200, 180, 30, 90));
    if (input === undefined) throw new Error('expected an input for a pad with ink');
    const centre = centreOfMass(input.pixels);

    expect(Math.abs(centre.x - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(centre.y - 13.5)).toBeLessThanOrEqual(0.5);
  });

  test('tall stroke keeps its aspect ratio at 20 rows', () => {
    const input = drawingToMnistInput(padWithBlock(100, 20, 20, 200));
    if (input === undefined) throw new Error('expected an input for a pad with ink');

    expect(inkRows(input.pixels)).toHaveLength(20);
    const row = input.pixels.subarray(14 * MNIST_SIDE, 15 * MNIST_SIDE);
    expect([...row].filter((value) => value > 0)).toHaveLength(2);
  });

  test('normalizes like Normalize(0.1307, 0.3081)', () => {
    const input = drawingToMnistInput(padWithBlock(10, 30, 40, 10));
    if (input === undefined) throw new Error('expected an input for a pad with ink');

    expect(input.normalized[0]).toBeCloseTo((0 - MNIST_MEAN) / MNIST_STD, 6);
    expect(input.normalized[12 * MNIST_SIDE + 4]).toBeCloseTo((1 - MNIST_MEAN) / MNIST_STD, 6);
  });

  test('averages partial pixels when scaling down', () => {
    // 30 columns scale to 3: each target pixel averages 10 source columns, 5 of them inked.
    const image = padWithBlock(0, 0, 30, 200);
    for (let y = 0; y < 200; y++) image.data.fill(0, y * PAD_SIDE + 5, y * PAD_SIDE + 10);
    const input = drawingToMnistInput(image);
    if (input === undefined) throw new Error('expected an input for a pad with ink');

    const row = [...input.pixels.subarray(14 * MNIST_SIDE, 15 * MNIST_SIDE)].filter((value) => value > 0);
    expect(row).toHaveLength(3);
    expect(row[0]).toBeCloseTo(0.5, 6);
    expect(row[1]).toBeCloseTo(1, 6);
  });

  test('line thinner than a target pixel keeps full ink', () => {
    const input = drawingToMnistInput(padWithBlock(5, 5, 1, 200));
    if (input === undefined) throw new Error('expected an input for a pad with ink');

    const ink = [...input.pixels].filter((value) => value > 0);
    expect(ink).toHaveLength(20);
    expect(ink[0]).toBe(1);
  });

  test('empty pad gives no input', () => {
    expect(drawingToMnistInput({ width: PAD_SIDE, height: PAD_SIDE, data: new Float32Array(PAD_SIDE * PAD_SIDE) })).toBeUndefined();
  });
});

describe('greyFromRgba', () => {
  test('reads the red channel as 0..1', () => {
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 51, 0, 0, 255]);

    const grey = greyFromRgba(rgba, 3, 1).data;

    expect(grey[0]).toBe(1);
    expect(grey[1]).toBe(0);
    expect(grey[2]).toBeCloseTo(0.2, 6);
  });
});
