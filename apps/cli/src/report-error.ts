import { CommanderError } from 'commander';

import { BackendUnavailableError } from '@lstm-mnist/backend-node-gpu';
import { ChecksumError, CorruptFileError, IdxFormatError, InvalidMnistFilesError, MnistDownloadError, MnistNotFoundError } from '@lstm-mnist/data';
import { IncompatibleModelError, LSTMConfigError, SafetensorsFormatError, StateDictError } from '@lstm-mnist/model';
import { ModelFileError } from '@lstm-mnist/model/node';

import { EXIT_FAILURE, EXIT_USAGE } from './program.js';
import { UsageError, UserFacingError } from './user-facing-error.js';

/**
 * Prints a failed run's error on stderr and returns its exit status: EXIT_USAGE for a usage error,
 * EXIT_FAILURE for anything else, 0 for commander's help and version requests. Known failures print
 * one line. Anything unexpected is printed whole, with its stack, for a bug report.
 */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander has already printed the message; help and version requests exit with 0.
    return error.exitCode === 0 ? 0 : EXIT_USAGE;
  }
  if (error instanceof UsageError) {
    console.error(`error: ${error.message}`);
    console.error(USAGE_HINT);
    return EXIT_USAGE;
  }
  if (isUserFacing(error)) {
    console.error(`error: ${describeUserFacing(error)}`);
    return EXIT_FAILURE;
  }
  console.error(error);
  return EXIT_FAILURE;
}

/** The line commander prints after its own usage errors (program.ts sets it with showHelpAfterError). */
const USAGE_HINT = '(run with --help for usage)';

/**
 * Returns the error's message, with the path added for a Node file-system error (one with a `syscall`)
 * whose message lacks it:
 * Node's message for a read of a folder is only "EISDIR: illegal operation on a directory, read".
 */
function describeUserFacing(error: Error): string {
  const { path, syscall } = error as NodeJS.ErrnoException;
  if (syscall === undefined || path === undefined || error.message.includes(path)) {
    return error.message;
  }
  return `${path}: ${error.message}`;
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
  InvalidMnistFilesError,
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
