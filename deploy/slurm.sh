#!/usr/bin/env bash
# A sweep on Slurm: N array tasks each run one part of the experiment, then
# one job merges the parts. Submit from a shared directory (parts/ must exist
# before the array starts: Slurm opens each task's log there):
#
#   mkdir -p parts
#   PARTS=16 SPEC=experiments/coherence.json sbatch --array=1-16 deploy/slurm.sh
#   sbatch --dependency=afterok:<array job id> --wrap \
#     "upbringing merge parts/part-*.json --out results.json --csv results.csv"
#
# Each task is one process on one core (flex is fastest single-threaded per
# seed on small models); ask for more tasks, not more cores per task.
# Run every part on one kind of CPU: flex picks AVX-512, AVX2 or plain kernels
# at run time, and they round differently. On a mixed cluster add your site's
# feature to the submit line, e.g. `sbatch --constraint=avx512 ...`.
#SBATCH --job-name=upbringing
#SBATCH --cpus-per-task=1
#SBATCH --mem=4G
#SBATCH --time=02:00:00
#SBATCH --output=parts/slurm-%A_%a.log
set -euo pipefail
: "${PARTS:?set PARTS to the array size}"
: "${SPEC:?set SPEC to a spec file (upbringing spec --preset NAME > spec.json)}"
mkdir -p parts
upbringing run --spec "$SPEC" --threads 1 \
  --shard "${SLURM_ARRAY_TASK_ID}/${PARTS}" --out "parts/part-${SLURM_ARRAY_TASK_ID}.json"
