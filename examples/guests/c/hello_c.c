/* hello_c: prints a greeting and exits 0. Needs no grants.
 *
 * Built by ../build.sh with clang --target=wasm32-wasi (WASI preview 1) and wasi-libc
 * into ../bin/hello_c.wasm. */
#include <stdio.h>

int main(void) {
    if (puts("hello from C in a nano-process") < 0) {
        return 1;
    }
    return 0;
}
