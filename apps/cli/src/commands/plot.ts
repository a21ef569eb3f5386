import { basename, extname } from 'node:path';

import { writeFileAtomic } from '@lstm-mnist/model/node';

import { readCurves, renderCurvesSvg, svgToPng } from '../curves.js';
import { checkInputFile, prepareOutputFile } from '../file-arguments.js';

/** Settings of `lstm-mnist plot`. */
export interface PlotCommandOptions {
  /** JSON Lines metrics file written by `train --metrics-file`. */
  metrics: string;
  /** Image to write; the extension `.svg` or `.png` picks the format, which the flag's parser has checked. */
  out: string;
}

/** Runs `lstm-mnist plot`: draws the loss and accuracy curves of a metrics file to SVG or PNG. */
export async function runPlotCommand(options: PlotCommandOptions): Promise<void> {
  const format = extname(options.out).toLowerCase();

  await checkInputFile(options.metrics, '--metrics', 'Pass the JSON Lines file that train --metrics-file wrote.');
  const curves = await readCurves(options.metrics);
  await prepareOutputFile(options.out, '--out');
  const svg = await renderCurvesSvg(curves, basename(options.metrics));
  await writeFileAtomic(options.out, format === '.svg' ? svg : svgToPng(svg));

  console.log(
    `Wrote ${options.out}: ${countPoints(curves.loss.length, 'loss')} and ${countPoints(curves.accuracy.length, 'accuracy')} from ${options.metrics}`,
  );
}

function countPoints(count: number, curve: string): string {
  return `${count} ${curve} ${count === 1 ? 'point' : 'points'}`;
}
