#!/usr/bin/env bash
# Compiles the .NET SDK with Mono's C# compiler (mcs) into $NANOPROC_DOTNET_BUILD (default
# /var/tmp/nanoproc-dotnet-build, outside the repository):
#
#   Nanoproc.dll (+ .xml docs)  the library: .NET Standard 2.0 (see below)
#   Tests.exe                   the test runner (tests/*.cs)
#   Extend.exe, Isolator.exe    the examples
#   Bench.exe                   the benchmark
#   Nanoproc.dll.config         a Mono dllmap pointing nanoproc_capi at $NANOPROC_CAPI_LIB, if set
#
#   bash sdks/dotnet/build.sh
#
# .NET Standard 2.0 only: Mono's mcs cannot compile against the netstandard facade alone (it
# forwards the core types, which mcs needs defined), so the library is compiled with -nostdlib
# against the .NET Framework 4.6.1 reference assemblies (the oldest platform implementing .NET
# Standard 2.0), and tools/CheckNetstandard.cs then checks that every type it references is
# one the netstandard 2.0 facade has. Needs mono-devel (test.sh installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${NANOPROC_DOTNET_BUILD:-/var/tmp/nanoproc-dotnet-build}"
mkdir -p "$out"

command -v mcs >/dev/null || { echo "error: no mcs (install Debian's mono-devel)" >&2; exit 1; }
ref=/usr/lib/mono/4.6.1-api
netstandard=/usr/lib/mono/4.7.2-api/Facades/netstandard.dll
cecil="$(ls -d /usr/lib/mono/gac/Mono.Cecil/0.11.*/Mono.Cecil.dll 2>/dev/null | head -n1)"
for f in "$ref/mscorlib.dll" "$netstandard" "$cecil"; do
  [ -f "$f" ] || { echo "error: $f missing (mono-devel incomplete?)" >&2; exit 1; }
done

common=(-langversion:7 -warnaserror+)
echo "==> mcs Nanoproc.dll (.NET Standard 2.0: -nostdlib against $ref)" >&2
mcs "${common[@]}" -unsafe+ -optimize+ -debug- -noconfig -nostdlib -target:library \
  -r:"$ref/mscorlib.dll" -r:"$ref/System.dll" -r:"$ref/System.Core.dll" \
  -doc:"$out/Nanoproc.xml" -out:"$out/Nanoproc.dll" "$here"/src/Nanoproc/*.cs

echo "==> every type Nanoproc.dll uses is in .NET Standard 2.0 ($netstandard)" >&2
mcs "${common[@]}" -target:exe -r:"$cecil" -out:"$out/CheckNetstandard.exe" "$here/tools/CheckNetstandard.cs"
cp "$cecil" "$out/"
mono "$out/CheckNetstandard.exe" "$netstandard" "$out/Nanoproc.dll"
# The check can fail: the checker itself uses Mono.Cecil, which .NET Standard does not have.
if mono "$out/CheckNetstandard.exe" "$netstandard" "$out/CheckNetstandard.exe" 2>/dev/null; then
  echo "error: CheckNetstandard passed an assembly that uses Mono.Cecil" >&2
  exit 1
fi

echo "==> mcs Tests.exe Extend.exe Isolator.exe Bench.exe" >&2
mcs "${common[@]}" -debug+ -target:exe -r:"$out/Nanoproc.dll" -r:System.Core.dll -out:"$out/Tests.exe" "$here"/tests/*.cs
mcs "${common[@]}" -optimize+ -target:exe -r:"$out/Nanoproc.dll" -out:"$out/Extend.exe" "$here/examples/Extend/Program.cs"
mcs "${common[@]}" -optimize+ -target:exe -r:"$out/Nanoproc.dll" -out:"$out/Isolator.exe" "$here/examples/Isolator/Program.cs"
mcs "${common[@]}" -optimize+ -target:exe -r:"$out/Nanoproc.dll" -out:"$out/Bench.exe" "$here/bench/Program.cs"

# Mono finds libnanoproc_capi.so through LD_LIBRARY_PATH, or through a dllmap next to the
# library naming the file (what .NET Core does with NativeLibrary instead; see README.md).
if [ -n "${NANOPROC_CAPI_LIB:-}" ]; then
  cat >"$out/Nanoproc.dll.config" <<XML
<configuration>
  <dllmap dll="nanoproc_capi" target="$NANOPROC_CAPI_LIB" os="linux"/>
</configuration>
XML
fi
echo "$out"
