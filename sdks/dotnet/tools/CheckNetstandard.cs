// Checks that a compiled library uses only types that .NET Standard 2.0 has: every type it
// references must be one that the netstandard 2.0 facade (netstandard.dll) defines or forwards.
// Run by build.sh on Nanoproc.dll. (Mono's C# compiler cannot compile against the facade
// alone: it needs the core types defined, not forwarded; so the library is compiled against
// the .NET Framework 4.6.1 reference assemblies, the oldest .NET Standard 2.0 platform, and this
// check proves the types are all .NET Standard's.)
//
//   mono CheckNetstandard.exe NETSTANDARD.DLL LIBRARY.DLL
using System;
using System.Collections.Generic;
using System.Linq;
using Mono.Cecil;

public static class CheckNetstandard
{
    public static int Main(string[] args)
    {
        if (args.Length != 2)
        {
            Console.Error.WriteLine("usage: CheckNetstandard.exe NETSTANDARD.DLL LIBRARY.DLL");
            return 2;
        }
        var facade = ModuleDefinition.ReadModule(args[0]);
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in facade.ExportedTypes) allowed.Add(t.FullName);
        foreach (var t in facade.GetTypes()) allowed.Add(t.FullName);
        if (allowed.Count < 1000)
        {
            Console.Error.WriteLine("check-netstandard: {0} lists only {1} types; not the netstandard 2.0 facade?", args[0], allowed.Count);
            return 1;
        }
        var library = ModuleDefinition.ReadModule(args[1]);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        int count = 0;
        foreach (var r in library.GetTypeReferences())
        {
            count++;
            if (!allowed.Contains(r.FullName)) missing.Add(r.FullName + " (from " + r.Scope.Name + ")");
        }
        if (missing.Count > 0)
        {
            Console.Error.WriteLine("check-netstandard: {0} uses types that .NET Standard 2.0 does not have:", args[1]);
            foreach (var m in missing) Console.Error.WriteLine("  " + m);
            return 1;
        }
        Console.Error.WriteLine("    all {0} types {1} references are in .NET Standard 2.0 ({2} types)", count,
            library.Assembly.Name.Name, allowed.Count);
        return 0;
    }
}
