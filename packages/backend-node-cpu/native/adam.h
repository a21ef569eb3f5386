// One Adam update of a float32 parameter array, in the order of the train package's FusedAdamAttrs.
#pragma once

namespace lstm_native {

/** Hyperparameters of one update, already rounded to float32 as the op-by-op update rounds them. */
struct AdamScalars {
  float beta1;
  float one_minus_beta1;
  float beta2;
  float one_minus_beta2;
  float step_size;
  float bias_correction2_sqrt;
  float epsilon;
};

/**
 * Writes the updated parameter, first and second moment of `count` elements into the `out_` arrays,
 * which may alias the inputs. Every operation is a separately rounded float32 operation, without
 * fused multiply-adds, so the result matches tfjs's element-wise ops bit for bit.
 */
void adam_update(long count, const float* parameter, const float* gradient, const float* first_moment,
                 const float* second_moment, const AdamScalars& scalars, float* out_parameter, float* out_first_moment,
                 float* out_second_moment);

}  // namespace lstm_native
