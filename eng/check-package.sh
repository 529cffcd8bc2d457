#!/usr/bin/env bash
# Proves the packed package works for a stranger: a fresh project outside the repository restores Anysola.Auth from
# a local folder feed, builds for net8.0 and net10.0, and runs (on net10.0, the runtime present here).
# Usage: eng/check-package.sh [folder holding Anysola.Auth.<version>.nupkg]   (default: artifacts/packages)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
feed=$(cd "${1:-$root/artifacts/packages}" && pwd)
package=$(ls "$feed"/Anysola.Auth.*.nupkg | grep -v '\.snupkg$' | head -n 1)
version=$(basename "$package" .nupkg); version=${version#Anysola.Auth.}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/eng/package-consumer/Program.cs" "$work/"
sed "s/@VERSION@/$version/" "$root/eng/package-consumer/PackageConsumer.csproj.in" > "$work/PackageConsumer.csproj"
# The local feed is added to the machine's usual sources; a private package cache guarantees that this very
# package is restored, not a copy cached by an earlier run with the same version.
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="anysola-local" value="$feed" />
  </packageSources>
</configuration>
CONFIG
export NUGET_PACKAGES="$work/packages"

echo "check-package: Anysola.Auth $version from $feed"
dotnet build "$work/PackageConsumer.csproj" -c Release --nologo -v quiet
dotnet run --project "$work/PackageConsumer.csproj" -c Release --framework net10.0 --no-build
test -f "$work/packages/anysola.auth/$version/lib/net8.0/Anysola.Auth.dll"
test -f "$work/packages/anysola.auth/$version/lib/net10.0/Anysola.Auth.dll"
echo "check-package: OK"
