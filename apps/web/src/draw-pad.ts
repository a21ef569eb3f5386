import { type DigitInput, drawingToMnistInput, greyFromRgba, MNIST_SIDE } from './preprocess.js';

/** Pen width in canvas pixels on the 280-pixel pad, about 2 MNIST pixels wide after scaling. */
const PEN_WIDTH = 22;

/**
 * A canvas to draw on with a mouse, pen or finger (pointer events). It reports the MNIST input after
 * each animation frame with new ink (`final` false) and at the end of each stroke (`final` true).
 */
export class DrawPad {
  private readonly context: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private framePending = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onInput: (input: DigitInput | undefined, final: boolean, strokeEndedAt: number) => void,
  ) {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('The drawing canvas has no 2D context.');
    this.context = context;
    this.clear();

    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (event) => this.begin(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', () => this.end());
    canvas.addEventListener('pointercancel', () => this.end());
  }

  clear(): void {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.last = undefined;
  }

  /** Returns the current drawing as a model input, or undefined when the pad is empty. */
  input(): DigitInput | undefined {
    const { width, height } = this.canvas;
    return drawingToMnistInput(greyFromRgba(this.context.getImageData(0, 0, width, height).data, width, height));
  }

  private point(event: PointerEvent): { x: number; y: number } {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) / rect.width) * this.canvas.width,
      y: ((event.clientY - rect.top) / rect.height) * this.canvas.height,
    };
  }

  private begin(event: PointerEvent): void {
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.line(this.last, this.last);
  }

  private move(event: PointerEvent): void {
    if (this.last === undefined) return;
    const next = this.point(event);
    this.line(this.last, next);
    this.last = next;
    if (!this.framePending) {
      this.framePending = true;
      requestAnimationFrame(() => {
        this.framePending = false;
        if (this.last !== undefined) this.onInput(this.input(), false, performance.now());
      });
    }
  }

  private end(): void {
    if (this.last === undefined) return;
    this.last = undefined;
    const endedAt = performance.now();
    this.onInput(this.input(), true, endedAt);
  }

  private line(from: { x: number; y: number }, to: { x: number; y: number }): void {
    this.context.strokeStyle = '#fff';
    this.context.lineWidth = PEN_WIDTH;
    this.context.lineCap = 'round';
    this.context.lineJoin = 'round';
    this.context.beginPath();
    this.context.moveTo(from.x, from.y);
    this.context.lineTo(to.x, to.y);
    this.context.stroke();
  }
}

/** Paints 28x28 intensities 0..1 into a canvas of any size, white on black. */
export function paintDigit(canvas: HTMLCanvasElement, pixels: Float32Array | Uint8Array, scale = 1): void {
  const context = canvas.getContext('2d');
  if (context === null) return;
  const image = context.createImageData(MNIST_SIDE, MNIST_SIDE);
  for (let i = 0; i < MNIST_SIDE * MNIST_SIDE; i++) {
    const value = Math.round((pixels[i] ?? 0) * scale);
    image.data[i * 4] = value;
    image.data[i * 4 + 1] = value;
    image.data[i * 4 + 2] = value;
    image.data[i * 4 + 3] = 255;
  }
  const scratch = document.createElement('canvas');
  scratch.width = MNIST_SIDE;
  scratch.height = MNIST_SIDE;
  scratch.getContext('2d')?.putImageData(image, 0, 0);
  context.imageSmoothingEnabled = false;
  context.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}
