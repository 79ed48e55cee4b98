/* The native baseline for the start-up benchmark: the same output as
 * examples/guests/bin/hello.wasm, built with `gcc -O2` by the bench at start-up. */
#include <stdio.h>

int main(void) {
    puts("hello from a nano-process");
    return 0;
}
