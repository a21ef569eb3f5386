// N-API bindings: SGEMM and the fused LSTM layer on Float32Arrays that the caller allocates.
#include <node_api.h>

#include <cmath>
#include <cstring>
#include <string>

#include "adam.h"
#include "gemm.h"
#include "lstm.h"
#include "thread_pool.h"

namespace {

using lstm_native::Isa;

/** Thrown inside a binding to become a JavaScript RangeError or TypeError. */
struct ArgumentError {
  bool type_error;
  std::string message;
};

struct Arguments {
  napi_env env;
  size_t count;
  napi_value values[16];
};

Arguments read_arguments(napi_env env, napi_callback_info info, size_t expected, const char* function) {
  Arguments args{env, 16, {}};
  napi_get_cb_info(env, info, &args.count, args.values, nullptr, nullptr);
  if (args.count < expected) {
    throw ArgumentError{true, std::string(function) + ": expected " + std::to_string(expected) + " arguments, got " +
                                  std::to_string(args.count)};
  }
  return args;
}

float* float_array(const Arguments& args, size_t index, long minimum_length, const char* name) {
  bool is_typed_array = false;
  napi_is_typedarray(args.env, args.values[index], &is_typed_array);
  napi_typedarray_type type = napi_int8_array;
  size_t length = 0;
  void* data = nullptr;
  if (is_typed_array) {
    napi_get_typedarray_info(args.env, args.values[index], &type, &length, &data, nullptr, nullptr);
  }
  if (!is_typed_array || type != napi_float32_array) {
    throw ArgumentError{true, std::string(name) + " must be a Float32Array"};
  }
  if (static_cast<long>(length) < minimum_length) {
    throw ArgumentError{false, std::string(name) + " has " + std::to_string(length) + " elements, expected at least " +
                                   std::to_string(minimum_length)};
  }
  return static_cast<float*>(data);
}

int int_argument(const Arguments& args, size_t index, int minimum, const char* name) {
  int32_t value = 0;
  if (napi_get_value_int32(args.env, args.values[index], &value) != napi_ok) {
    throw ArgumentError{true, std::string(name) + " must be a number"};
  }
  if (value < minimum) {
    throw ArgumentError{false, std::string(name) + " is " + std::to_string(value) + ", expected at least " +
                                   std::to_string(minimum)};
  }
  return value;
}

bool bool_argument(const Arguments& args, size_t index) {
  bool value = false;
  napi_get_value_bool(args.env, args.values[index], &value);
  return value;
}

/** Runs a binding body and turns an ArgumentError into a pending JavaScript exception. */
template <typename Body>
napi_value guarded(napi_env env, Body body) {
  try {
    return body();
  } catch (const ArgumentError& error) {
    if (error.type_error) {
      napi_throw_type_error(env, nullptr, error.message.c_str());
    } else {
      napi_throw_range_error(env, nullptr, error.message.c_str());
    }
  } catch (const std::exception& error) {
    napi_throw_error(env, nullptr, error.what());
  }
  return nullptr;
}

napi_value undefined_value(napi_env env) {
  napi_value value;
  napi_get_undefined(env, &value);
  return value;
}

// sgemm(transA, transB, m, n, k, a, b, c, accumulate): c[m, n] = op(a) * op(b) (+ c).
napi_value Sgemm(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 9, "sgemm");
    const bool trans_a = bool_argument(args, 0);
    const bool trans_b = bool_argument(args, 1);
    const int m = int_argument(args, 2, 0, "m");
    const int n = int_argument(args, 3, 0, "n");
    const int k = int_argument(args, 4, 0, "k");
    const float* a = float_array(args, 5, static_cast<long>(m) * k, "a");
    const float* b = float_array(args, 6, static_cast<long>(k) * n, "b");
    float* c = float_array(args, 7, static_cast<long>(m) * n, "c");
    const bool accumulate = bool_argument(args, 8);
    lstm_native::sgemm(trans_a, trans_b, m, n, k, a, trans_a ? m : k, b, trans_b ? k : n, c, n, accumulate);
    return undefined_value(env);
  });
}

lstm_native::LstmShape read_shape(const Arguments& args, size_t first) {
  lstm_native::LstmShape shape{};
  shape.time = int_argument(args, first, 1, "time");
  shape.batch = int_argument(args, first + 1, 1, "batch");
  shape.input_size = int_argument(args, first + 2, 1, "inputSize");
  shape.hidden_size = int_argument(args, first + 3, 1, "hiddenSize");
  shape.return_sequences = bool_argument(args, first + 4);
  return shape;
}

long output_size(const lstm_native::LstmShape& shape) {
  return static_cast<long>(shape.return_sequences ? shape.time : 1) * shape.batch * shape.hidden_size;
}

// lstmForward(x, kernel, recurrentKernel, bias, output, workspace, time, batch, inputSize, hiddenSize, returnSequences)
napi_value LstmForward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 11, "lstmForward");
    const lstm_native::LstmShape shape = read_shape(args, 6);
    const long rows = static_cast<long>(shape.time) * shape.batch;
    const long gates = 4L * shape.hidden_size;
    const float* x = float_array(args, 0, rows * shape.input_size, "x");
    const float* kernel = float_array(args, 1, shape.input_size * gates, "kernel");
    const float* recurrent = float_array(args, 2, shape.hidden_size * gates, "recurrentKernel");
    const float* bias = float_array(args, 3, gates, "bias");
    float* output = float_array(args, 4, output_size(shape), "output");
    float* workspace = float_array(args, 5, lstm_native::lstm_workspace_size(shape), "workspace");
    lstm_native::lstm_forward(shape, x, kernel, recurrent, bias, output, workspace);
    return undefined_value(env);
  });
}

// lstmBackward(dy, x, kernel, recurrentKernel, workspace, dx, dKernel, dRecurrentKernel, dBias,
//              time, batch, inputSize, hiddenSize, returnSequences)
napi_value LstmBackward(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 14, "lstmBackward");
    const lstm_native::LstmShape shape = read_shape(args, 9);
    const long rows = static_cast<long>(shape.time) * shape.batch;
    const long gates = 4L * shape.hidden_size;
    const float* dy = float_array(args, 0, output_size(shape), "dy");
    const float* x = float_array(args, 1, rows * shape.input_size, "x");
    const float* kernel = float_array(args, 2, shape.input_size * gates, "kernel");
    const float* recurrent = float_array(args, 3, shape.hidden_size * gates, "recurrentKernel");
    const float* workspace = float_array(args, 4, lstm_native::lstm_workspace_size(shape), "workspace");
    float* dx = float_array(args, 5, rows * shape.input_size, "dx");
    float* d_kernel = float_array(args, 6, shape.input_size * gates, "dKernel");
    float* d_recurrent = float_array(args, 7, shape.hidden_size * gates, "dRecurrentKernel");
    float* d_bias = float_array(args, 8, gates, "dBias");
    lstm_native::lstm_backward(shape, dy, x, kernel, recurrent, workspace, dx, d_kernel, d_recurrent, d_bias);
    return undefined_value(env);
  });
}

double number_argument(const Arguments& args, size_t index, const char* name) {
  double value = 0;
  if (napi_get_value_double(args.env, args.values[index], &value) != napi_ok || !std::isfinite(value)) {
    throw ArgumentError{true, std::string(name) + " must be a finite number"};
  }
  return value;
}

// adamUpdate(variable, gradient, m, v, outVariable, outM, outV,
//            beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, biasCorrection2Sqrt, epsilon)
napi_value AdamUpdate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 14, "adamUpdate");
    size_t count = 0;
    napi_get_typedarray_info(env, args.values[0], nullptr, &count, nullptr, nullptr, nullptr);
    const long n = static_cast<long>(count);
    const float* variable = float_array(args, 0, n, "variable");
    const float* gradient = float_array(args, 1, n, "gradient");
    const float* m = float_array(args, 2, n, "firstMoment");
    const float* v = float_array(args, 3, n, "secondMoment");
    float* out_variable = float_array(args, 4, n, "outVariable");
    float* out_m = float_array(args, 5, n, "outFirstMoment");
    float* out_v = float_array(args, 6, n, "outSecondMoment");
    lstm_native::AdamScalars scalars{};
    scalars.beta1 = static_cast<float>(number_argument(args, 7, "beta1"));
    scalars.one_minus_beta1 = static_cast<float>(number_argument(args, 8, "oneMinusBeta1"));
    scalars.beta2 = static_cast<float>(number_argument(args, 9, "beta2"));
    scalars.one_minus_beta2 = static_cast<float>(number_argument(args, 10, "oneMinusBeta2"));
    scalars.step_size = static_cast<float>(number_argument(args, 11, "stepSize"));
    scalars.bias_correction2_sqrt = static_cast<float>(number_argument(args, 12, "biasCorrection2Sqrt"));
    scalars.epsilon = static_cast<float>(number_argument(args, 13, "epsilon"));
    lstm_native::adam_update(n, variable, gradient, m, v, scalars, out_variable, out_m, out_v);
    return undefined_value(env);
  });
}

napi_value string_value(napi_env env, const char* text) {
  napi_value value;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &value);
  return value;
}

// info(): { isa, bestIsa, threads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_object(env, &result);
  napi_set_named_property(env, result, "isa", string_value(env, lstm_native::isa_name(lstm_native::active_isa())));
  napi_set_named_property(env, result, "bestIsa",
                          string_value(env, lstm_native::isa_name(lstm_native::best_supported_isa())));
  napi_value threads;
  napi_create_int32(env, lstm_native::thread_count(), &threads);
  napi_set_named_property(env, result, "threads", threads);
  return result;
}

// setIsa(name): true when the CPU supports it and it is now used.
napi_value SetIsa(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 1, "setIsa");
    char name[32] = {};
    size_t length = 0;
    if (napi_get_value_string_utf8(env, args.values[0], name, sizeof(name), &length) != napi_ok) {
      throw ArgumentError{true, "setIsa: name must be a string"};
    }
    bool supported = false;
    for (Isa isa : {Isa::kPortable, Isa::kAvx2, Isa::kAvx512}) {
      if (std::strcmp(name, lstm_native::isa_name(isa)) == 0) {
        supported = lstm_native::set_isa(isa);
        napi_value result;
        napi_get_boolean(env, supported, &result);
        return result;
      }
    }
    throw ArgumentError{false, std::string("setIsa: unknown instruction set '") + name +
                                   "', expected portable, avx2 or avx512"};
  });
}

// setThreads(count)
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    const Arguments args = read_arguments(env, info, 1, "setThreads");
    lstm_native::set_thread_count(int_argument(args, 0, 1, "count"));
    return undefined_value(env);
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const napi_property_descriptor properties[] = {
      {"sgemm", nullptr, Sgemm, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmForward", nullptr, LstmForward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"lstmBackward", nullptr, LstmBackward, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"adamUpdate", nullptr, AdamUpdate, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setIsa", nullptr, SetIsa, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_enumerable, nullptr},
  };
  napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
