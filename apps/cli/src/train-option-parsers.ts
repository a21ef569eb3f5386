import { InvalidArgumentError } from 'commander';

/**
 * Parses one `--mirror` value and appends it to the ones before, so the flag can repeat. Accepts an
 * absolute http or https URL; rejects other schemes, relative paths and URLs with a query or fragment,
 * because the download appends `<file>.gz` to the URL.
 */
export function collectMirrorUrl(text: string, previous: string[] = []): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('Expected an absolute http or https URL of a folder holding the MNIST .gz files, such as https://example.org/mnist/.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError(`Expected an http or https URL, got the scheme ${url.protocol.slice(0, -1)}.`);
  }
  if (url.search !== '' || url.hash !== '') {
    throw new InvalidArgumentError('Expected a URL without a query or fragment, because the file name is appended to it.');
  }

  return [...previous, text];
}
