/*
 * count_vowels_c: the count_vowels plugin in freestanding C (no libc), for the nanoproc plugin
 * ABI version 1 (docs/abi.md).
 *
 * Input: text. Output: JSON {"count":N,"total":M,"vowels":"aeiouAEIOU"}, the same as the Rust
 * count_vowels plugin (no config support: the vowel set is fixed).
 *
 * Build (see ../build.sh):
 *   clang --target=wasm32 -nostdlib -ffreestanding -O2 -Wl,--no-entry -Wl,--strip-all \
 *       -o count_vowels_c.wasm count_vowels_c.c
 *
 * Memory: nanoproc_alloc is a bump allocator over the heap after the stack and data. The only
 * thing the host allocates is a call's input, which is dead once count_vowels has read it, so
 * count_vowels resets the heap before returning; the output lives in a static buffer, which
 * the host copies before anything else runs in the instance.
 */

typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr; /* 32 bits on wasm32 */

#define EXPORT(name) __attribute__((export_name(name)))
#define PAGE 65536u

extern unsigned char __heap_base; /* first free byte after the stack and data (from wasm-ld) */

static uptr heap_top; /* 0 until the first allocation */

EXPORT("nanoproc_abi_version") int nanoproc_abi_version(void) { return 1; }

/* Returns `len` fresh bytes (8-byte aligned), growing memory when needed; 0 if it cannot. */
EXPORT("nanoproc_alloc") int nanoproc_alloc(int len) {
    if (len <= 0) return 0;
    if (heap_top == 0) heap_top = (uptr)&__heap_base;
    u64 start = ((u64)heap_top + 7) & ~(u64)7;
    u64 end = start + (u32)len;
    u64 mem_end = (u64)__builtin_wasm_memory_size(0) * PAGE;
    if (end > mem_end) {
        u64 pages = (end - mem_end + PAGE - 1) / PAGE;
        if (end > 0xFFFFFFFFull || __builtin_wasm_memory_grow(0, (uptr)pages) == (uptr)-1) return 0;
    }
    heap_top = (uptr)end;
    return (int)start;
}

static const char VOWELS[] = "aeiouAEIOU";

static int is_vowel(unsigned char c) {
    for (const char *v = VOWELS; *v; v++)
        if ((unsigned char)*v == c) return 1;
    return 0;
}

/* Appends the decimal digits of n at p; returns the end. */
static char *put_u32(char *p, u32 n) {
    char digits[10];
    int i = 0;
    do {
        digits[i++] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    while (i) *p++ = digits[--i];
    return p;
}

static char *put_str(char *p, const char *s) {
    while (*s) *p++ = *s++;
    return p;
}

static char output[64]; /* {"count":4294967295,"total":4294967295,"vowels":"aeiouAEIOU"} fits */

EXPORT("count_vowels") long long count_vowels(int ptr, int len) {
    const unsigned char *input = (const unsigned char *)(uptr)ptr;
    u32 total = (u32)len, count = 0;
    for (u32 i = 0; i < total; i++) count += (u32)is_vowel(input[i]);
    heap_top = 0; /* the input was the only live allocation: free everything */

    char *p = output;
    p = put_str(p, "{\"count\":");
    p = put_u32(p, count);
    p = put_str(p, ",\"total\":");
    p = put_u32(p, total);
    p = put_str(p, ",\"vowels\":\"");
    p = put_str(p, VOWELS);
    p = put_str(p, "\"}");
    u32 out_len = (u32)(p - output);
    return (long long)(((u64)(uptr)output << 32) | out_len);
}
