#!/usr/bin/env bash
# One lease of a GPU machine: trains both shipped models at once on one GPU with the PyTorch trainer
# (models/train/torch_train.py), each on a wall-clock budget so the run always ends with annealed weights.
#   compact  compact-branchynet, label smoothing 0.05 on every exit, distillation from the cloud exit
#   vgg16    vgg16-branchynet (no BatchNorm: He init, lower peak LR, gradient clipping)
# Exports (float16, Keras layout, history inside) land in OUT as <name>.npz[.partN]; the log in OUT/train.log.
# Convert them on the development machine with models/train/torch_export.py. The shipped weights came from two
# leases (README, Models): vgg16 from this script's settings with a 440 s budget; compact-branchynet from a 200 s
# run with these compact settings (label smoothing 0.1 answered too few images at the edge, 0 too inaccurately).
#
#   bash models/train/torch_gpu.sh <cifar pack or binary dir> <out dir> [budget seconds, default 420]
# PYTHON and EXTRA (extra trainer flags, e.g. "--device cpu --train-limit 512") override for a dry run.
set -u
DATA=${1:?data dir}
OUT=${2:?out dir}
BUDGET=${3:-420}
PY=${PYTHON:-python3}
EXTRA=${EXTRA:-}
export PYTHONUNBUFFERED=1
cd "$(dirname "$0")/../.."
mkdir -p "$OUT"
LOG="$OUT/train.log"
{
  date -u +'%FT%TZ start'
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "no nvidia-smi"
  $PY -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
} 2>&1 | tee -a "$LOG"

train() {
  local name=$1
  shift
  # shellcheck disable=SC2086
  $PY models/train/torch_train.py --data "$DATA" --out "$OUT" --work-dir "/tmp/torch-work/$name" --name "$name" \
    --budget-s "$BUDGET" --save-every-s 45 --checkpoint-every-s 120 --threads 4 "$@" $EXTRA 2>&1 \
    | sed -u "s/^/[$name] /" | tee -a "$LOG"
}

train compact --arch compact-branchynet --epochs 250 --batch-size 512 --lr 0.2 --warmup 0.05 \
  --label-smoothing 0.05 --distill 0.5 --temperature 3 --cutout 12 &
train vgg16 --arch vgg16-branchynet --epochs 200 --batch-size 256 --lr 0.05 --warmup 0.1 \
  --label-smoothing 0.1 --distill 0.5 --temperature 3 --cutout 8 --clip 2 &
wait
date -u +'%FT%TZ end' | tee -a "$LOG"
ls -la "$OUT" | tee -a "$LOG"
