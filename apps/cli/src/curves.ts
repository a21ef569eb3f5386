import { readFile } from 'node:fs/promises';

import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

import { UserFacingError } from './user-facing-error.js';

/** One logged training step: the loss of that batch. */
export interface LossPoint {
  /** Epoch position: `epoch - 1 + step / stepsPerEpoch`, so epoch e's end-of-epoch point is at e. */
  epoch: number;
  loss: number;
  series: 'batch loss' | 'epoch mean loss';
}

/** Test accuracy after one epoch, in percent. */
export interface AccuracyPoint {
  epoch: number;
  accuracy: number;
}

/** The points that `plot` draws. */
export interface Curves {
  loss: LossPoint[];
  accuracy: AccuracyPoint[];
}

/** Width and height of each of the two panels, in SVG pixels. */
const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 260;
/** PNG pixels per SVG pixel, so the PNG stays sharp on high-density screens. */
const PNG_SCALE = 2;

/**
 * Reads the curves of a metrics file as `train --metrics-file` writes it: step records
 * `{epoch, step, loss}` and epoch records `{epoch, trainLoss, testAccuracy}`; other records are skipped.
 * The metrics file does not store the steps per epoch, so a step's position within its epoch is
 * `step / largest logged step`, which is exact when the last logged step ends the epoch.
 *
 * @throws UserFacingError naming the file and line for invalid JSON, or when no record has a curve point.
 */
export async function readCurves(path: string): Promise<Curves> {
  const text = await readFile(path, 'utf8');
  const records = text.split('\n').flatMap((line, index) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch (error) {
      throw new UserFacingError(`${path} line ${index + 1} is not valid JSON (${(error as Error).message}). Pass a metrics file written by train --metrics-file.`);
    }
  });

  const steps = records.filter((record) => isNumber(record['epoch']) && isNumber(record['step']) && isNumber(record['loss']));
  const epochs = records.filter((record) => isNumber(record['epoch']) && isNumber(record['trainLoss']) && isNumber(record['testAccuracy']));
  if (steps.length === 0 && epochs.length === 0) {
    throw new UserFacingError(
      `${path} has no step records {epoch, step, loss} and no epoch records {epoch, trainLoss, testAccuracy}. Pass a metrics file written by train --metrics-file.`,
    );
  }

  const stepsPerEpoch = Math.max(...steps.map((record) => record['step'] as number));
  const loss: LossPoint[] = steps.map((record) => ({
    epoch: (record['epoch'] as number) - 1 + (record['step'] as number) / stepsPerEpoch,
    loss: record['loss'] as number,
    series: 'batch loss',
  }));
  for (const record of epochs) loss.push({ epoch: record['epoch'] as number, loss: record['trainLoss'] as number, series: 'epoch mean loss' });
  const accuracy = epochs.map((record) => ({ epoch: record['epoch'] as number, accuracy: (record['testAccuracy'] as number) * 100 }));
  return { loss, accuracy };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** Builds the Vega-Lite chart: training loss on the left, test accuracy on the right. */
export function curvesSpec(curves: Curves, title: string): TopLevelSpec {
  const epochAxis = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    hconcat: [
      {
        title: 'Training loss',
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        data: { values: curves.loss },
        mark: { type: 'line', point: true },
        encoding: {
          x: epochAxis,
          y: { field: 'loss', type: 'quantitative', title: 'cross-entropy loss' },
          color: { field: 'series', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'horizontal' } },
        },
      },
      {
        title: 'Test accuracy',
        width: PANEL_WIDTH,
        height: PANEL_HEIGHT,
        data: { values: curves.accuracy },
        mark: { type: 'line', point: true },
        encoding: {
          x: epochAxis,
          y: { field: 'accuracy', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false } },
        },
      },
    ],
  };
}

/** Renders the curves as a standalone SVG document, without a browser. */
export async function renderCurvesSvg(curves: Curves, title: string): Promise<string> {
  const view = new vega.View(vega.parse(compile(curvesSpec(curves, title)).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises an SVG to PNG with resvg, using the system's fonts for the text. */
export function svgToPng(svg: string): Uint8Array {
  const resvg = new Resvg(svg, { fitTo: { mode: 'zoom', value: PNG_SCALE }, background: 'white', font: { loadSystemFonts: true } });
  return resvg.render().asPng();
}
