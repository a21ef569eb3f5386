#!/usr/bin/env node
import * as tf from '@tensorflow/tfjs-core';

import { runTrainCommand } from './commands/train.js';
import { buildProgram } from './program.js';
import { exitCodeFor } from './report-error.js';

/**
 * Runs the CLI and sets the exit status: 0 on success, EXIT_USAGE for a usage error, EXIT_FAILURE for a
 * runtime failure. Known failures print one line; anything unexpected keeps its stack for a bug report.
 */
async function main(argv: string[]): Promise<void> {
  // Production mode silences tfjs's own console advice, such as its banner urging tfjs-node on the
  // cpu backend. This CLI reports the backend choice itself, with the real reasons.
  tf.enableProdMode();
  const program = buildProgram(runTrainCommand);

  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

await main(process.argv);
