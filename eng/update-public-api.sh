#!/usr/bin/env bash
# Adds every public symbol the compiler reports as undeclared (RS0016) to PublicAPI.Unshipped.txt.
# Run after an intentional change to the public API, then review the diff of that file.
set -euo pipefail
project="$(cd "$(dirname "$0")/.." && pwd)/src/Anysola.Auth"
unshipped="$project/PublicAPI.Unshipped.txt"
symbols=$(dotnet build "$project" -c Release --no-incremental -p:TreatWarningsAsErrors=false 2>&1 \
  | sed -nE "s/.*RS0016: Symbol '(.*)' is not part of the declared public API.*/\1/p" | sort -u)
if [ -z "$symbols" ]; then
  echo "public API: nothing undeclared"
  exit 0
fi
{ cat "$unshipped"; printf '%s\n' "$symbols"; } | grep -v '^#nullable enable$' | sort -u | { echo '#nullable enable'; cat; } > "$unshipped.new"
mv "$unshipped.new" "$unshipped"
echo "public API: added $(printf '%s\n' "$symbols" | wc -l) symbols to $unshipped"
