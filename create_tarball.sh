#!/usr/bin/env bash
# Pack a submission: the code of mytorch/ and hw1/ (and hw2/, hw3/ when present), with the
# MNIST plot if it exists, nothing else.
#   ./create_tarball.sh [OUTPUT]     OUTPUT: a .tar file, or a folder to put handin.tar in;
#                                    handin.tar beside this script by default
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: ./create_tarball.sh [OUTPUT]
Pack mytorch/ and hw1/ (code, and hw1/validation_accuracy.png if present), and hw2/
and hw3/ when they exist, into a tar file.
OUTPUT is the archive to write, or an existing folder to write handin.tar in
(default: handin.tar beside this script). A relative OUTPUT is relative to where
the script is run from.
USAGE
}

output=""
case "$#:${1:-}" in
    0:) ;;
    1:-h|1:--help) usage; exit 0 ;;
    1:-*) echo "create_tarball.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    1:*) output="$1" ;;
    *) echo "create_tarball.sh: expected at most one argument, got $#" >&2; usage >&2; exit 2 ;;
esac
if [[ -n "$output" ]]; then
    if [[ -d "$output" || "$output" == */ ]]; then
        output="${output%/}/handin.tar"
    fi
    if [[ "$output" != /* ]]; then
        output="$(pwd)/$output"  # a relative OUTPUT is relative to where it was run from
    fi
    if [[ ! -d "$(dirname "$output")" ]]; then
        echo "create_tarball.sh: the folder $(dirname "$output") does not exist" >&2
        exit 1
    fi
fi
cd "$(dirname "${BASH_SOURCE[0]}")"
output="${output:-handin.tar}"
for folder in mytorch hw1; do
    if [[ ! -d "$folder" ]]; then
        echo "create_tarball.sh: $folder/ not found in $(pwd)" >&2
        exit 1
    fi
done
# The later homeworks extend the same library; their folders go in when they exist.
folders=(mytorch hw1)
for folder in hw2 hw3; do
    if [[ -d "$folder" ]]; then
        folders+=("$folder")
    fi
done

# Written under a temporary name beside OUTPUT and renamed when complete, so an
# interrupted run never leaves a truncated archive that looks like a submission.
tmp="$(dirname "$output")/.$(basename "$output").$$.part"
trap 'rm -f "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# No caches, data sets, editor droppings or images: only the code and the one graded
# plot (no other image left in hw1/) are submitted.
tar -cf "$tmp" \
    --exclude='__pycache__' --exclude='*.pyc' --exclude='*.pyo' \
    --exclude='.pytest_cache' --exclude='.mypy_cache' --exclude='.ipynb_checkpoints' \
    --exclude='*.npy' --exclude='*.npz' --exclude='*.gz' --exclude='*-ubyte' \
    --exclude='.DS_Store' --exclude='*.swp' --exclude='*~' --exclude='*.part' \
    --exclude='*.png' \
    "${folders[@]}"
if [[ -f hw1/validation_accuracy.png ]]; then
    tar -rf "$tmp" hw1/validation_accuracy.png
fi
mv -f "$tmp" "$output"

count=$(tar -tf "$output" | grep -vc '/$' || true)
echo "packed $count files into $output:"
tar -tf "$output" | grep -v '/$' | LC_ALL=C sort | sed 's/^/  /'
if [[ ! -f hw1/validation_accuracy.png ]]; then
    echo "note: hw1/validation_accuracy.png is missing; run ./grade.sh m to make it" >&2
fi
