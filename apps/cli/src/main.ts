#!/usr/bin/env node
import * as tf from '@tensorflow/tfjs-core';
import { CommanderError } from 'commander';

import { BackendUnavailableError } from '@lstm-mnist/backend-node-gpu';
import { ChecksumError, CorruptFileError, IdxFormatError, MnistDownloadError, MnistNotFoundError } from '@lstm-mnist/data';
import { IncompatibleModelError, LSTMConfigError, SafetensorsFormatError, StateDictError } from '@lstm-mnist/model';
import { ModelFileError } from '@lstm-mnist/model/node';

import { runTrainCommand } from './commands/train.js';
import { EXIT_FAILURE, EXIT_USAGE, buildProgram } from './program.js';
import { UserFacingError } from './user-facing-error.js';

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

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander has already printed the message; help and version requests exit with 0.
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (isUserFacing(error)) {
    console.error(`error: ${error.message}`);
    return EXIT_FAILURE;
  }
  console.error(error);
  return EXIT_FAILURE;
}

/** Errors whose message already names the value and the fix, so the stack would only add noise. */
const USER_FACING_ERRORS = [
  UserFacingError,
  BackendUnavailableError,
  MnistNotFoundError,
  MnistDownloadError,
  ChecksumError,
  CorruptFileError,
  IdxFormatError,
  LSTMConfigError,
  IncompatibleModelError,
  ModelFileError,
  StateDictError,
  SafetensorsFormatError,
];

/** File-system error codes that mean the user's path or disk, not a bug. */
const USER_FACING_SYSTEM_ERRORS = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EEXIST', 'EDQUOT']);

function isUserFacing(error: unknown): error is Error {
  if (USER_FACING_ERRORS.some((errorClass) => error instanceof errorClass)) return true;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error instanceof Error && code !== undefined && USER_FACING_SYSTEM_ERRORS.has(code);
}

await main(process.argv);
