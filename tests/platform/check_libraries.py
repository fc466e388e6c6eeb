#!/usr/bin/env python3
"""Checks the addon's built libraries as each platform's loader will see them.

    check_libraries.py GDEXTENSION [--require-all] LIBRARY...

For every library named on the command line (paths as the .gdextension names them, relative
to its folder; missing ones are skipped unless --require-all):
- every one exports the .gdextension's entry symbol;
- Linux (ELF): needs at most GLIBC_2.28, and only libraries every glibc system has;
- Windows (PE): imports only DLLs every Windows 10 or later has (the system's own and the
  Universal CRT's api-ms-win-* sets), never a MinGW runtime (libgcc_s, libwinpthread, ...);
- macOS (Mach-O): a universal file with x86_64 and arm64, linking only /usr/lib libraries
  and /System frameworks, each slice built for at most the macOS it is documented for, the
  arm64 slice signed (ad hoc at least: Apple silicon runs no unsigned code).
Prints one line per check and "N passed, N failed"; exits 1 on any failure. Reads the
files with LIEF (PyPI), so it runs on any host.
"""
import configparser
import os
import re
import sys

import lief

GLIBC_FLOOR = (2, 28)
# Libraries of the GNU C library and the GCC runtime that every glibc-based system has.
ELF_NEEDED = re.compile(r"^(libc|libm|libdl|libpthread|librt|libgcc_s)\.so\.\d+$|^ld-linux-(x86-64|aarch64)\.so\.\d+$")
# DLLs of every Windows 10 or later: the kernel and system libraries, and the Universal CRT.
WINDOWS_DLLS = {"kernel32.dll", "ntdll.dll", "ws2_32.dll", "bcrypt.dll", "bcryptprimitives.dll",
                "advapi32.dll", "userenv.dll", "ucrtbase.dll", "secur32.dll", "crypt32.dll", "ole32.dll",
                "shell32.dll", "user32.dll", "msvcrt.dll", "synchronization.dll"}
WINDOWS_API_SETS = re.compile(r"^api-ms-win-(core|crt)-[a-z0-9-]+-l\d-\d-\d\.dll$")
MINGW_RUNTIME = re.compile(r"^(libgcc|libwinpthread|libstdc\+\+|libssp|libatomic)", re.I)
# The oldest macOS the README states, per slice: 11 (Big Sur) for both, the oldest zig's own
# macOS headers build for (scripts/build).
MACOS_MIN = {"x86_64": (11, 0), "arm64": (11, 0)}

results = []


def check(ok, what):
    results.append(ok)
    print(("ok    " if ok else "FAIL  ") + what)
    return ok


def entry_symbol(gdextension):
    config = configparser.ConfigParser(inline_comment_prefixes=(";",))
    config.read(gdextension)
    return config["configuration"]["entry_symbol"].strip('"')


def elf(path, name, entry):
    binary = lief.ELF.parse(path)
    exported = {s.name for s in binary.exported_symbols}
    check(entry in exported, f"{name}: exports {entry}")
    versions = set()
    for req in binary.symbols_version_requirement:
        for aux in req.get_auxiliary_symbols():
            m = re.match(r"GLIBC_(\d+)\.(\d+)", aux.name)
            if m:
                versions.add((int(m.group(1)), int(m.group(2))))
    newest = max(versions) if versions else (0, 0)
    check(newest <= GLIBC_FLOOR, f"{name}: needs glibc {newest[0]}.{newest[1]} at most (floor {GLIBC_FLOOR[0]}.{GLIBC_FLOOR[1]})")
    odd = [lib for lib in binary.libraries if not ELF_NEEDED.match(lib)]
    check(not odd, f"{name}: needs only glibc and libgcc_s ({', '.join(binary.libraries)})")


def pe(path, name, entry):
    binary = lief.PE.parse(path)
    imports = sorted({i.name.lower() for i in binary.imports})
    check(entry in {e.name for e in binary.get_export().entries}, f"{name}: exports {entry}")
    mingw = [dll for dll in imports if MINGW_RUNTIME.match(dll)]
    check(not mingw, f"{name}: imports no MinGW runtime DLL {mingw if mingw else ''}".rstrip())
    odd = [dll for dll in imports if dll not in WINDOWS_DLLS and not WINDOWS_API_SETS.match(dll)]
    check(not odd, f"{name}: imports only DLLs of every Windows 10+: {', '.join(imports)}"
          + (f" (not: {', '.join(odd)})" if odd else ""))


def macho(path, name, entry):
    fat = lief.MachO.parse(path)
    arches = {}
    for binary in fat:
        arch = {lief.MachO.Header.CPU_TYPE.X86_64: "x86_64", lief.MachO.Header.CPU_TYPE.ARM64: "arm64"}.get(
            binary.header.cpu_type, str(binary.header.cpu_type))
        arches[arch] = binary
    check(set(arches) == {"x86_64", "arm64"}, f"{name}: universal, x86_64 and arm64 ({', '.join(sorted(arches))})")
    for arch, binary in sorted(arches.items()):
        exported = {s.name for s in binary.exported_symbols}
        check("_" + entry in exported, f"{name} [{arch}]: exports {entry}")
        own = binary.get(lief.MachO.LoadCommand.TYPE.ID_DYLIB)
        linked = [lib.name for lib in binary.libraries if own is None or lib.name != own.name]
        odd = [lib for lib in linked if not (lib.startswith("/usr/lib/") or lib.startswith("/System/Library/Frameworks/"))]
        check(not odd, f"{name} [{arch}]: links only system libraries ({', '.join(linked)})")
        if arch == "arm64":
            # Apple silicon loads no unsigned code; zig's linker signs ad hoc.
            signed = binary.get(lief.MachO.LoadCommand.TYPE.CODE_SIGNATURE) is not None
            check(signed, f"{name} [{arch}]: carries a code signature (ad hoc at least)")
        build = binary.get(lief.MachO.LoadCommand.TYPE.BUILD_VERSION)
        minimum = tuple(build.minos[:2]) if build is not None else None
        if minimum is None:
            legacy = binary.get(lief.MachO.LoadCommand.TYPE.VERSION_MIN_MACOSX)
            minimum = tuple(legacy.version[:2]) if legacy is not None else None
        floor = MACOS_MIN.get(arch)
        check(minimum is not None and floor is not None and minimum <= floor,
              f"{name} [{arch}]: minimum macOS {minimum[0]}.{minimum[1] if minimum else '?'} (at most {floor[0]}.{floor[1]})"
              if minimum else f"{name} [{arch}]: states a minimum macOS version")


def main():
    args = sys.argv[1:]
    require_all = "--require-all" in args
    args = [a for a in args if a != "--require-all"]
    if len(args) < 2:
        sys.exit(__doc__)
    gdextension, libraries = args[0], args[1:]
    entry = entry_symbol(gdextension)
    base = os.path.dirname(gdextension)
    lief.logging.disable()
    for library in libraries:
        path = os.path.join(base, library)
        name = os.path.basename(library)
        if not os.path.exists(path):
            if require_all:
                check(False, f"{name}: built")
            continue
        {".so": elf, ".dll": pe, ".dylib": macho}[os.path.splitext(path)[1]](path, name, entry)
    passed = sum(results)
    print(f"libraries: {passed} passed, {len(results) - passed} failed")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
