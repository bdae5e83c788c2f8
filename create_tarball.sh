#!/usr/bin/env bash
# Pack a submission: the code of mytorch/ and hw1/ (and hw2/, hw3/ when present), with the
# MNIST plot if it exists, nothing else (no caches, data, images or earlier .tar files).
# A link to a file in the project is packed as that file's content; other links stay out.
# Each is named in a note.
#   ./create_tarball.sh [OUTPUT]     OUTPUT: a .tar file, or a folder to put handin.tar in;
#                                    handin.tar beside this script by default
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: ./create_tarball.sh [OUTPUT]
Pack mytorch/ and hw1/ (code, and hw1/validation_accuracy.png if present), and hw2/
and hw3/ when they exist, into a tar file. Caches, data files, images and .tar files
are left out. A link to a file in the project is packed as that file's content; a
link to a folder, to something outside the project or to nothing is left out; a note
names each.
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

note() { echo "note: $*" >&2; }

# The physical path a link leads to (following every link on the way).
resolve() {
    "${PYTHON:-python3}" -c 'import os, sys; print(os.path.realpath(sys.argv[1]))' "$1"
}

# No caches, data sets, archives, editor droppings or images: only the code and the one
# graded plot (no other image left in hw1/) are submitted.
root="$(pwd -P)"
files=()
while IFS= read -r -d '' path; do
    if [[ ! -L "$path" ]]; then
        files+=("$path")
        continue
    fi
    # A link is packed as the file it leads to, if that file is in the project; anything
    # else it leads to stays out (a link itself would be refused by a safe extraction,
    # such as Python's tarfile data filter, and outside files are not the submission).
    target="$(resolve "$path")"
    if [[ ! -e "$path" ]]; then
        note "left out $path: a link to $(readlink "$path"), which does not exist"
    elif [[ "$target" != "$root"/* ]]; then
        note "left out $path: a link to $target, outside the project"
    elif [[ ! -f "$target" ]]; then
        note "left out $path: a link to the folder ${target#"$root"/}"
    else
        files+=("$path")
        note "packed $path, a link to ${target#"$root"/}, as that file's content"
    fi
done < <(find "${folders[@]}" \
             \( -name '__pycache__' -o -name '.pytest_cache' -o -name '.mypy_cache' \
                -o -name '.ipynb_checkpoints' \) -prune \
             -o \( -type f -o -type l \) \
                ! \( -name '*.pyc' -o -name '*.pyo' -o -name '*.npy' -o -name '*.npz' \
                     -o -name '*.gz' -o -name '*-ubyte' -o -name '*.tar' -o -name '.DS_Store' \
                     -o -name '*.swp' -o -name '*~' -o -name '*.part' \) \
                \( ! -name '*.png' -o -path hw1/validation_accuracy.png \) -print0 \
         | LC_ALL=C sort -z)

if [[ ${#files[@]} -eq 0 ]]; then
    echo "create_tarball.sh: nothing to pack in ${folders[*]}" >&2
    exit 1
fi
# -h: the links left in the list are packed as their files' content. GNU tar would store
# a linked file and the file it leads to as a hard link of one to the other: not with
# --hard-dereference (BSD tar, which lacks the option, does not do that).
# (grep reads the whole help: with -q it could stop early, tar would die of SIGPIPE, and
# pipefail would then make the test false at random.)
options=(--null)
if tar --help 2>/dev/null | grep -e '--hard-dereference' >/dev/null; then
    options+=(--hard-dereference)
fi
printf '%s\0' "${files[@]}" | tar -chf "$tmp" "${options[@]}" -T -
mv -f "$tmp" "$output"

count=$(tar -tf "$output" | grep -vc '/$' || true)
echo "packed $count files into $output:"
tar -tf "$output" | grep -v '/$' | LC_ALL=C sort | sed 's/^/  /'
if [[ ! -f hw1/validation_accuracy.png ]]; then
    echo "note: hw1/validation_accuracy.png is missing; run ./grade.sh m to make it" >&2
fi
