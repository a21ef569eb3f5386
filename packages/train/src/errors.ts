/**
 * Thrown when training produces a non-finite value: a NaN or infinite loss, or a parameter that is
 * no longer finite when a checkpoint is due. The model's parameters are no longer usable, so the
 * trainer stops without a checkpoint of that state.
 */
export class TrainingDivergedError extends Error {
  override readonly name: string = 'TrainingDivergedError';

  /**
   * @param epoch 1-based epoch of the step that diverged.
   * @param step 1-based step within that epoch.
   */
  constructor(
    message: string,
    readonly epoch: number,
    readonly step: number,
  ) {
    super(message);
  }
}

/** Thrown by the trainer when a step's loss is NaN or infinite. */
export class NonFiniteLossError extends TrainingDivergedError {
  override readonly name = 'NonFiniteLossError';

  constructor(
    epoch: number,
    step: number,
    readonly loss: number,
  ) {
    super(
      `Training diverged: the loss is ${loss} at epoch ${epoch}, step ${step}. ` +
        'The learning rate is most likely too high (or the input contains NaN). ' +
        'Lower the learning rate and start again, or resume from a checkpoint written before this step.',
      epoch,
      step,
    );
  }
}

/** Thrown by the trainer when a step's loss is above the `maxLoss` option. */
export class LossLimitExceededError extends TrainingDivergedError {
  override readonly name = 'LossLimitExceededError';

  constructor(
    epoch: number,
    step: number,
    readonly loss: number,
    readonly limit: number,
  ) {
    super(
      `Training diverged: the loss is ${loss.toFixed(4)} at epoch ${epoch}, step ${step}, above the limit of ${limit} ` +
        '(guessing every class with equal probability scores ln(classes), 2.30 for 10 classes). ' +
        'The learning rate is most likely too high. ' +
        'Lower the learning rate and start again, or resume from a checkpoint written before this step.',
      epoch,
      step,
    );
  }
}
