import { extname } from 'node:path';

import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander options. Each throws `InvalidArgumentError`, which commander turns
 * into one line naming the flag and the value: `option '--batch-size <n>' argument '0' is invalid.`
 */

/** Parses a whole number in [min, max]; rejects `1.5`, `abc`, `1e3` and empty text. */
export function integerInRange(min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  const expected = max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  return (text) => {
    if (!/^-?\d+$/.test(text.trim())) {
      throw new InvalidArgumentError(`Expected ${expected}.`);
    }
    const value = Number(text);
    if (value < min || value > max) {
      throw new InvalidArgumentError(`Expected ${expected}, got ${text.trim()}.`);
    }
    return value;
  };
}

/** Creates a parser for a finite number strictly greater than zero; `example` appears in its error message. */
export function positiveNumberLike(example: string): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(`Expected a number greater than 0, such as ${example}.`);
    }
    return value;
  };
}

/** Parses a finite number strictly greater than zero, such as a learning rate. */
export const positiveNumber = positiveNumberLike('0.001');

/**
 * Creates a parser for a file path whose extension picks the format, such as `.svg` or `.png`.
 * Extensions are compared case-insensitively and the path is returned unchanged.
 */
export function pathWithExtension(extensions: readonly string[], purpose: string): (text: string) => string {
  const listed = extensions.length === 1 ? extensions[0] : `${extensions.slice(0, -1).join(', ')} or ${extensions[extensions.length - 1]}`;
  return (text) => {
    if (!extensions.includes(extname(text).toLowerCase())) {
      throw new InvalidArgumentError(`Expected a file name ending in ${listed}, which ${purpose}.`);
    }
    return text;
  };
}
