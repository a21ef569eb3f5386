import { describe, expect, it } from 'vitest';

import { MnistDataset, parseIdx } from '../src/index.js';
import { FAKE_COLS, FAKE_ROWS, makeFakeSplit } from './helpers.js';

function fakeDataset(count: number): MnistDataset {
  const files = makeFakeSplit(count);
  return MnistDataset.fromIdx(parseIdx(files.images), parseIdx(files.labels));
}

describe('MnistDataset.fromIdx', () => {
  it('takes count, rows and cols from the image header', () => {
    const dataset = fakeDataset(7);
    expect(dataset.length).toBe(7);
    expect(dataset.rows).toBe(FAKE_ROWS);
    expect(dataset.cols).toBe(FAKE_COLS);
  });

  it('keeps pixels and labels in file order', () => {
    const dataset = fakeDataset(12);
    expect(Array.from(dataset.image(3))).toEqual(new Array(FAKE_ROWS * FAKE_COLS).fill(22));
    expect(dataset.label(3)).toBe(3);
    expect(dataset.label(11)).toBe(1);
  });

  it('rejects images that are not rank 3', () => {
    const images = parseIdx(makeFakeSplit(2).labels);
    const labels = parseIdx(makeFakeSplit(2).labels);
    expect(() => MnistDataset.fromIdx(images, labels)).toThrow(
      'Invalid MNIST images: expected uint8 with shape [count, rows, cols], got uint8 with shape [2].',
    );
  });

  it('rejects labels that are not uint8', () => {
    const images = parseIdx(makeFakeSplit(2).images);
    const labels = { dtype: 'int32' as const, shape: [2], data: Int32Array.from([1, 2]) };
    expect(() => MnistDataset.fromIdx(images, labels)).toThrow(
      'Invalid MNIST labels: expected uint8 with shape [count], got int32 with shape [2].',
    );
  });

  it('rejects files with different counts', () => {
    const images = parseIdx(makeFakeSplit(3).images);
    const labels = parseIdx(makeFakeSplit(2).labels);
    expect(() => MnistDataset.fromIdx(images, labels)).toThrow(
      'Invalid MNIST files: the image file contains 3 images but the label file contains 2 labels.',
    );
  });
});

describe('MnistDataset constructor', () => {
  it('rejects a label above 9', () => {
    const init = { images: new Uint8Array(2), labels: Uint8Array.from([4, 10]), rows: 1, cols: 1 };
    expect(() => new MnistDataset(init)).toThrow('Invalid MNIST label 10 at index 1: labels must be in [0, 9].');
  });

  it('rejects a pixel count that does not match', () => {
    const init = { images: new Uint8Array(5), labels: new Uint8Array(2), rows: 1, cols: 2 };
    expect(() => new MnistDataset(init)).toThrow('2 labels of 1x2 images need 4 pixels, got 5.');
  });

  it('rejects zero rows', () => {
    const init = { images: new Uint8Array(0), labels: new Uint8Array(0), rows: 0, cols: 2 };
    expect(() => new MnistDataset(init)).toThrow('rows must be a positive integer, got 0.');
  });
});

describe('MnistDataset.subset and take', () => {
  it('subset returns the examples in the range', () => {
    const part = fakeDataset(10).subset(2, 5);
    expect(part.length).toBe(3);
    expect(Array.from(part.labels)).toEqual([2, 3, 4]);
    expect(part.image(0)[0]).toBe(15);
  });

  it('subset shares memory with the dataset', () => {
    const dataset = fakeDataset(4);
    const part = dataset.subset(1, 3);
    expect(part.images.buffer).toBe(dataset.images.buffer);
  });

  it('subset rejects a range past the end', () => {
    expect(() => fakeDataset(4).subset(2, 5)).toThrow('Invalid subset [2, 5): expected integers with 0 <= start <= end <= 4.');
  });

  it('take clamps to the length', () => {
    expect(fakeDataset(4).take(10).length).toBe(4);
    expect(fakeDataset(4).take(2).length).toBe(2);
  });

  it('take rejects a negative count', () => {
    expect(() => fakeDataset(4).take(-1)).toThrow('Invalid take count -1: expected a non-negative integer.');
  });

  it('image rejects an index out of range', () => {
    expect(() => fakeDataset(4).image(4)).toThrow('Invalid example index 4: expected an integer in [0, 3].');
  });
});
