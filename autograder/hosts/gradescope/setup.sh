#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image,
# with this zip unpacked in /autograder/source. It installs the pinned
# environment: a virtual environment with the CPU build of torch and every
# other package at the version constraints.txt names.
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
VENV="${AUTOGRADER_VENV:-$SOURCE/.venv}"
TORCH_INDEX="${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}"

# The grader needs Python 3.11 or later; older Ubuntu images only have 3.10.
python_ok() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
PYTHON=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null && python_ok "$candidate"; then PYTHON="$candidate"; break; fi
done
if [ -z "$PYTHON" ]; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
fi
if ! "$PYTHON" -m venv --help >/dev/null 2>&1 || ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$(basename "$PYTHON")-venv"
fi

"$PYTHON" -m venv "$VENV"
# torch alone first, from the CPU-only index, so that nothing pulls the CUDA
# wheels; then the package, which brings torch's own dependencies with the rest,
# every version pinned by constraints.txt.
TORCH_PIN="$(grep -E '^torch==' "$SOURCE/constraints.txt")"
"$VENV/bin/pip" install -q --no-deps --index-url "$TORCH_INDEX" "$TORCH_PIN"
"$VENV/bin/pip" install -q -c "$SOURCE/constraints.txt" -e "$SOURCE"

# Graded as root, the students' code drops to the user nobody: keep the
# reference solutions and the hidden suites out of its reach.
chmod -R go-rwx "$SOURCE/solutions" "$SOURCE/autograder/hidden"
chmod 755 "$SOURCE/run_autograder"
"$VENV/bin/python" -m autograder --help >/dev/null
echo "autograder installed in $VENV"
