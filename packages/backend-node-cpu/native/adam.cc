#include "adam.h"

#include <cmath>

namespace lstm_native {

// Built for the baseline instruction set, which has no FMA, so the compiler cannot contract
// `a * b + c` into one rounding and change the bits.
void adam_update(long count, const float* parameter, const float* gradient, const float* first_moment,
                 const float* second_moment, const AdamScalars& s, float* out_parameter, float* out_first_moment,
                 float* out_second_moment) {
  for (long i = 0; i < count; ++i) {
    const float g = gradient[i];
    const float m = first_moment[i] * s.beta1 + g * s.one_minus_beta1;
    const float v = second_moment[i] * s.beta2 + (g * g) * s.one_minus_beta2;
    const float denominator = std::sqrt(v) / s.bias_correction2_sqrt + s.epsilon;
    out_parameter[i] = parameter[i] - (m * s.step_size) / denominator;
    out_first_moment[i] = m;
    out_second_moment[i] = v;
  }
}

}  // namespace lstm_native
