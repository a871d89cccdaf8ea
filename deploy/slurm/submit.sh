#!/bin/bash
# Submit the array, then the merge, which starts once every task of the array has succeeded.
# If a task fails, the merge waits for ever (DependencyNeverSatisfied): cancel it, run the task
# again (sbatch --array=I grade.sbatch), then sbatch merge.sbatch.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable "$here/grade.sbatch")
array=${array%%;*}                      # --parsable prints "jobid[;cluster]"
sbatch --dependency=afterok:"$array" "$here/merge.sbatch"
echo "array $array; the merge follows it"
