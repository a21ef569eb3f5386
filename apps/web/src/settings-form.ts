import { DEFAULT_TRAIN_SETTINGS, type TrainSettings } from './training-session.js';

/** A form field with a value out of range; `field` is the input's name. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';

  constructor(
    readonly field: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`${field}: ${value} is invalid, expected ${expected}.`);
  }
}

/** Reads the training settings from the form's named inputs. @throws SettingsError for the first invalid field. */
export function readSettings(form: HTMLFormElement): TrainSettings {
  const data = new FormData(form);
  const text = (name: string): string => String(data.get(name) ?? '').trim();

  return {
    epochs: positiveInteger('epochs', text('epochs'), DEFAULT_TRAIN_SETTINGS.epochs),
    batchSize: positiveInteger('batchSize', text('batchSize'), DEFAULT_TRAIN_SETTINGS.batchSize),
    lr: positiveNumber('lr', text('lr'), DEFAULT_TRAIN_SETTINGS.lr),
    hiddenSize: positiveInteger('hiddenSize', text('hiddenSize'), DEFAULT_TRAIN_SETTINGS.hiddenSize),
    numLayers: positiveInteger('numLayers', text('numLayers'), DEFAULT_TRAIN_SETTINGS.numLayers),
    maxSteps: text('maxSteps') === '' ? undefined : positiveInteger('maxSteps', text('maxSteps'), 1),
    seed: text('seed') === '' ? undefined : nonNegativeInteger('seed', text('seed')),
  };
}

function positiveInteger(field: string, value: string, fallback: number): number {
  if (value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 1) throw new SettingsError(field, value, 'a whole number of at least 1');
  return parsed;
}

function positiveNumber(field: string, value: string, fallback: number): number {
  if (value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new SettingsError(field, value, 'a number greater than 0');
  return parsed;
}

function nonNegativeInteger(field: string, value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0 || parsed > 0xffffffff) throw new SettingsError(field, value, 'a whole number from 0 to 4294967295');
  return parsed;
}
