import { MNIST_NUM_CLASSES } from '@lstm-mnist/data';

/** One misclassified test image. */
export interface Misclassification {
  /** Position in the test set, 0-based, as in `t10k-images-idx3-ubyte`. */
  index: number;
  label: number;
  predicted: number;
}

/** Accuracy of one true class. */
export interface ClassAccuracy {
  label: number;
  /** Test images with this label. */
  images: number;
  correct: number;
  /** `correct / images` in [0, 1], or null when no image has this label. */
  accuracy: number | null;
}

/** Everything `evaluate` reports; `--json` prints it as is. */
export interface EvaluationReport {
  images: number;
  correct: number;
  /** `correct / images`, in [0, 1]. */
  accuracy: number;
  perClass: ClassAccuracy[];
  /** `confusionMatrix[label][predicted]`, counts of test images. */
  confusionMatrix: number[][];
  misclassified: Misclassification[];
}

/** Builds the report from each image's label and predicted class, both in 0..numClasses-1. */
export function buildEvaluationReport(labels: ArrayLike<number>, predictions: ArrayLike<number>, numClasses = MNIST_NUM_CLASSES): EvaluationReport {
  const confusionMatrix = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  const misclassified: Misclassification[] = [];
  for (let index = 0; index < labels.length; index++) {
    const label = labels[index] as number;
    const predicted = predictions[index] as number;
    const row = confusionMatrix[label] as number[];
    row[predicted] = (row[predicted] ?? 0) + 1;
    if (label !== predicted) misclassified.push({ index, label, predicted });
  }

  const perClass = confusionMatrix.map((row, label) => {
    const images = row.reduce((sum, count) => sum + count, 0);
    const correct = row[label] as number;
    return { label, images, correct, accuracy: images === 0 ? null : correct / images };
  });
  const images = labels.length;
  const correct = images - misclassified.length;
  return { images, correct, accuracy: correct / images, perClass, confusionMatrix, misclassified };
}

/** Formats the report as the text `evaluate` prints: accuracy, per-class table, confusion matrix, misclassified indices. */
export function formatEvaluationReport(report: EvaluationReport): string {
  const lines = [`Test accuracy: ${percent(report.accuracy)} (${report.correct}/${report.images} images)`, '', 'Per-class accuracy:'];
  lines.push(...formatTable(['label', 'images', 'correct', 'accuracy'], report.perClass.map((entry) => [
    String(entry.label), String(entry.images), String(entry.correct), entry.accuracy === null ? '-' : percent(entry.accuracy),
  ])));

  lines.push('', 'Confusion matrix (rows: true label, columns: predicted class):');
  const classes = report.confusionMatrix.map((_, label) => String(label));
  lines.push(...formatTable(['label', ...classes], report.confusionMatrix.map((row, label) => [String(label), ...row.map(String)])));

  const indices = report.misclassified.map((entry) => entry.index);
  lines.push('', `Misclassified images (${indices.length}, 0-based test-set indices):`);
  lines.push(indices.length === 0 ? '  none' : wrap(indices.join(', ')));
  return lines.join('\n');
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** Right-aligns each column to its widest cell. */
function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  const format = (cells: string[]): string => `  ${cells.map((cell, column) => cell.padStart(widths[column] as number)).join('  ')}`;
  return [format(header), ...rows.map(format)];
}

const WRAP_COLUMNS = 100;

function wrap(text: string): string {
  const lines: string[] = [];
  let line = ' ';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > WRAP_COLUMNS) {
      lines.push(line);
      line = ' ';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}
