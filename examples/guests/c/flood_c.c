/* flood_c: writes a 4 KiB chunk of text lines to stdout forever, ignoring write errors.
 *
 * The C twin of the Rust `flood` guest: only an output cap (--max-output) or a time limit
 * stops it. It calls write(2) directly (WASI fd_write), so no stdio buffering is involved.
 *
 * Built by ../build.sh with clang --target=wasm32-wasi (WASI preview 1) and wasi-libc
 * into ../bin/flood_c.wasm. */
#include <string.h>
#include <unistd.h>

#define CHUNK 4096

static const char LINE[] = "flood_c flood_c flood_c flood_c flood_c flood_c flood_c flood_c\n";

int main(void) {
    static char chunk[CHUNK];
    size_t len = sizeof LINE - 1; /* 64 bytes: CHUNK is a whole number of lines */
    for (size_t off = 0; off + len <= CHUNK; off += len) {
        memcpy(chunk + off, LINE, len);
    }
    for (;;) {
        (void)write(STDOUT_FILENO, chunk, CHUNK); /* errors ignored on purpose */
    }
}
