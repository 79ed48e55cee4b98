using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Nanoproc")]
[assembly: AssemblyDescription("Run untrusted WebAssembly as sandboxed nano-processes (nanoproc's C ABI over P/Invoke)")]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: InternalsVisibleTo("Tests")]
