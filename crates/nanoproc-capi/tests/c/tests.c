/*
 * Tests of nanoproc's C ABI (include/nanoproc.h), in C: every function at least once, the
 * example guests and plugins, threads (cancellation, concurrent calls, frees during calls),
 * host functions with user data, audit trails, and misuse (NULL, freed, wrong-type and
 * forged handles). After every test, nanoproc_live_objects() must be back where it was.
 *
 *   tests [FILTER...]     run the tests whose name contains one of the FILTERs (all: none)
 *
 * Environment: NANOPROC_REPO (the repository root; default `.`), NANOPROC_TEST_NO_POOLING=1
 * (use on-demand engines where the tests would use the pooling allocator: for valgrind,
 * which cannot host the pool's terabyte of reserved address space).
 */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <ftw.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *g_repo = ".";
static bool g_pooling = true;
static nanoproc_engine *g_plain; /* flags 0 */
static nanoproc_engine *g_fuel;  /* NANOPROC_ENGINE_FUEL */
static nanoproc_engine *g_pool;  /* FUEL | POOLING (FUEL alone when pooling is off) */

/* ---------------------------------------------------------------------------------------- */
/* Helpers                                                                                   */

/* `rel` under the repository root. Eight rotating buffers: several may be used at once. */
static const char *repo_path(const char *rel) {
    static char bufs[8][4096];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", g_repo, rel);
    return b;
}

#define GUEST(name) repo_path("examples/guests/bin/" name)
#define PLUGIN(name) repo_path("examples/plugins/bin/" name)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

static uint8_t *read_whole(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(data, 1, (size_t)n, f);
    fclose(f);
    return data;
}

static char *read_text(const char *path) {
    size_t len = 0;
    uint8_t *d = read_whole(path, &len);
    if (!d) return NULL;
    char *s = realloc(d, len + 1);
    s[len] = 0;
    return s;
}

static bool write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    fputs(text, f);
    return fclose(f) == 0;
}

/* A fresh temporary directory with subdirectories `ro` and `rw`; remove with rm_tree. */
static char *temp_dir(void) {
    char tmpl[] = "/tmp/nanoproc-ctest-XXXXXX";
    char *dir = mkdtemp(tmpl);
    if (!dir) return NULL;
    char *out = strdup(dir);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/ro", out);
    mkdir(sub, 0755);
    snprintf(sub, sizeof sub, "%s/rw", out);
    mkdir(sub, 0755);
    return out;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rm_tree(char *dir) {
    if (dir) nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static const char *join(const char *dir, const char *name) {
    static char bufs[4][4200];
    static int next;
    char *b = bufs[next++ % 4];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

/* Builds a plugin from a file with `policy` (NULL: the default). NULL on failure (reported). */
static nanoproc_plugin *plugin_file(nanoproc_engine *engine, const char *path,
                                    nanoproc_policy_builder *policy) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = NULL;
    if (!OK(nanoproc_plugin_builder_new(engine, &b))) return NULL;
    if (!OK(nanoproc_plugin_builder_wasm_file(b, path))) {
        nanoproc_plugin_builder_free(b);
        return NULL;
    }
    if (policy && !OK(nanoproc_plugin_builder_policy(b, policy))) {
        nanoproc_plugin_builder_free(b);
        return NULL;
    }
    if (!OK(nanoproc_plugin_builder_build(b, &p))) return NULL;
    return p;
}

/* Calls `fn` with the NUL-terminated `input`; the output (NUL-terminated copy) in *out. */
static nanoproc_error *call_text(const nanoproc_plugin *p, const char *fn, const char *input,
                                 const nanoproc_call_options *o, char **out) {
    nanoproc_buf buf = {0};
    nanoproc_error *e = nanoproc_plugin_call(p, fn, strlen(fn), (const uint8_t *)input,
                                             strlen(input), o, &buf);
    if (out) {
        *out = malloc(buf.len + 1);
        if (buf.len) memcpy(*out, buf.data, buf.len);
        (*out)[buf.len] = 0;
    }
    nanoproc_buf_free(&buf);
    return e;
}

static nanoproc_error *icall_text(const nanoproc_instance *i, const char *fn, const char *input,
                                  const nanoproc_call_options *o, char **out) {
    nanoproc_buf buf = {0};
    nanoproc_error *e = nanoproc_instance_call(i, fn, strlen(fn), (const uint8_t *)input,
                                               strlen(input), o, &buf);
    if (out) {
        *out = malloc(buf.len + 1);
        if (buf.len) memcpy(*out, buf.data, buf.len);
        (*out)[buf.len] = 0;
    }
    nanoproc_buf_free(&buf);
    return e;
}

/* Captured stdout of `o` as a NUL-terminated copy. */
static char *stdout_of(const nanoproc_outcome *o) {
    const uint8_t *d = NULL;
    size_t n = 0;
    if (!OK(nanoproc_outcome_stdout(o, &d, &n))) return strdup("");
    char *s = malloc(n + 1);
    if (n) memcpy(s, d, n);
    s[n] = 0;
    return s;
}

static char *stderr_of(const nanoproc_outcome *o) {
    const uint8_t *d = NULL;
    size_t n = 0;
    if (!OK(nanoproc_outcome_stderr(o, &d, &n))) return strdup("");
    char *s = malloc(n + 1);
    if (n) memcpy(s, d, n);
    s[n] = 0;
    return s;
}

/* A policy capturing stdout and stderr. */
static nanoproc_policy_builder *captured(void) {
    nanoproc_policy_builder *p = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_stdout(p, NANOPROC_OUTPUT_CAPTURE));
    OK(nanoproc_policy_builder_stderr(p, NANOPROC_OUTPUT_CAPTURE));
    return p;
}

/* A WASI command copying stdin to stdout (none of the example guests reads stdin). */
static const char CAT_STDIN_WAT[] =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_read\" (func $fd_read (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (func (export \"_start\")\n"
    "    (local $n i32)\n"
    "    (loop $again\n"
    "      (i32.store (i32.const 0) (i32.const 64))\n"
    "      (i32.store (i32.const 4) (i32.const 4096))\n"
    "      (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)) (then (return)))\n"
    "      (local.set $n (i32.load (i32.const 16)))\n"
    "      (if (i32.eqz (local.get $n)) (then (return)))\n"
    "      (i32.store (i32.const 8) (i32.const 64))\n"
    "      (i32.store (i32.const 12) (local.get $n))\n"
    "      (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 20)))\n"
    "      (br $again))))\n";

/* A plugin with state: `count` returns how often it was called in this instance (one byte,
 * '0' + n); `trap` traps; `fail` fails through `nanoproc::fail`. */
static const char COUNTER_WAT[] =
    "(module\n"
    "  (import \"nanoproc\" \"fail\" (func $fail (param i32 i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (global $count (mut i32) (i32.const 0))\n"
    "  (global $heap (mut i32) (i32.const 1024))\n"
    "  (data (i32.const 16) \"failing on purpose\")\n"
    "  (func (export \"nanoproc_abi_version\") (result i32) (i32.const 1))\n"
    "  (func (export \"nanoproc_alloc\") (param $len i32) (result i32)\n"
    "    (local $p i32)\n"
    "    (local.set $p (global.get $heap))\n"
    "    (global.set $heap (i32.add (global.get $heap) (local.get $len)))\n"
    "    (local.get $p))\n"
    "  (func (export \"count\") (param i32 i32) (result i64)\n"
    "    (global.set $count (i32.add (global.get $count) (i32.const 1)))\n"
    "    (i32.store8 (i32.const 0) (i32.add (i32.const 48) (global.get $count)))\n"
    "    (i64.const 1))\n"
    "  (func (export \"trap\") (param i32 i32) (result i64) (unreachable))\n"
    "  (func (export \"fail\") (param i32 i32) (result i64)\n"
    "    (call $fail (i32.const 16) (i32.const 18))\n"
    "    (i64.const 0)))\n";

static nanoproc_plugin *counter_plugin(void) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = NULL;
    if (!OK(nanoproc_plugin_builder_new(g_pool, &b))) return NULL;
    OK(nanoproc_plugin_builder_wasm_bytes(b, (const uint8_t *)COUNTER_WAT, strlen(COUNTER_WAT)));
    OK(nanoproc_plugin_builder_name(b, "counter"));
    if (!OK(nanoproc_plugin_builder_build(b, &p))) return NULL;
    return p;
}

/* ---------------------------------------------------------------------------------------- */
/* Version, engines, errors                                                                  */

TEST(version) {
    const char *v = nanoproc_version();
    CHECK(v != NULL);
    CHECK_STR(v, "0.1.0");
}

TEST(engine_flags) {
    nanoproc_engine *e = NULL;
    OK(nanoproc_engine_new(0, NULL, &e));
    CHECK(e != NULL);
    nanoproc_engine_free(e);
    nanoproc_engine_free(e); /* a second free is ignored */
    nanoproc_engine_free(NULL);

    OK(nanoproc_engine_new(NANOPROC_ENGINE_FUEL | NANOPROC_ENGINE_NO_CACHE, NULL, &e));
    nanoproc_engine_free(e);

    char *dir = temp_dir();
    OK(nanoproc_engine_new(NANOPROC_ENGINE_FUEL, join(dir, "cache"), &e));
    nanoproc_engine_free(e);
    rm_tree(dir);

    e = (nanoproc_engine *)0x1;
    ERR(nanoproc_engine_new(0x80, NULL, &e), NANOPROC_ERROR_INVALID_ARGUMENT,
        "unknown engine flags 0x80");
    CHECK(e == (nanoproc_engine *)0x1); /* not written on failure */
    ERR(nanoproc_engine_new(NANOPROC_ENGINE_FUEL | 0x100, NULL, &e),
        NANOPROC_ERROR_INVALID_ARGUMENT, "NANOPROC_ENGINE_FUEL, NANOPROC_ENGINE_POOLING");
    ERR(nanoproc_engine_new(0, NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`engine_out` is NULL");
    ERR(nanoproc_engine_new(0, "\xff\xfe", &e), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`cache_dir` is not UTF-8");
}

TEST(engine_pooling) {
    if (!g_pooling) {
        SKIP("pooling is off in this run (NANOPROC_TEST_NO_POOLING=1)");
        return;
    }
    nanoproc_engine *e = NULL;
    OK(nanoproc_engine_new(NANOPROC_ENGINE_POOLING, NULL, &e));
    nanoproc_plugin *p = plugin_file(e, PLUGIN("echo.wasm"), NULL);
    char *out = NULL;
    OK(call_text(p, "echo", "pooled", NULL, &out));
    CHECK_STR(out, "pooled");
    free(out);
    nanoproc_plugin_free(p);
    nanoproc_engine_free(e);
}

TEST(error_accessors) {
    nanoproc_policy_builder *p = nanoproc_policy_builder_new();
    nanoproc_error *e = nanoproc_policy_builder_stdout(p, 9);
    CHECK(e != NULL);
    CHECK_EQ_INT(nanoproc_error_get_kind(e), NANOPROC_ERROR_INVALID_ARGUMENT);
    CHECK_STR(nanoproc_error_message(e),
              "invalid argument: output mode 9 is not a nanoproc_output_mode (0 inherit, 1 capture, 2 discard)");
    CHECK_STR(nanoproc_error_detail(e),
              "output mode 9 is not a nanoproc_output_mode (0 inherit, 1 capture, 2 discard)");
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 2);
    nanoproc_error_free(e);
    nanoproc_error_free(e); /* ignored */
    /* A freed error reads as "not an error". */
    CHECK_EQ_INT(nanoproc_error_get_kind(e), NANOPROC_ERROR_INVALID_ARGUMENT);
    CHECK(nanoproc_error_message(e) == NULL);
    CHECK(nanoproc_error_detail(e) == NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 2);
    /* NULL too. */
    CHECK_EQ_INT(nanoproc_error_get_kind(NULL), NANOPROC_ERROR_INVALID_ARGUMENT);
    CHECK(nanoproc_error_message(NULL) == NULL);
    CHECK(nanoproc_error_detail(NULL) == NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(NULL), 2);
    nanoproc_error_free(NULL);

    /* A policy error: exit code 125 as the CLI's, message "invalid policy: ...". */
    e = nanoproc_policy_builder_allow_net(p, "nowhere");
    CHECK_EQ_INT(nanoproc_error_get_kind(e), NANOPROC_ERROR_INVALID_POLICY);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 125);
    CHECK(strncmp(nanoproc_error_message(e), "invalid policy: ", 16) == 0);
    nanoproc_error_free(e);
    nanoproc_policy_builder_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Policies                                                                                  */

TEST(policy_setters) {
    char *dir = temp_dir();
    nanoproc_policy_builder *p = nanoproc_policy_builder_new();
    CHECK(p != NULL);
    OK(nanoproc_policy_builder_dir(p, join(dir, "ro"), "/ro", false));
    OK(nanoproc_policy_builder_dir(p, join(dir, "rw"), "/rw", true));
    OK(nanoproc_policy_builder_env(p, "LANG", "C"));
    OK(nanoproc_policy_builder_inherit_env(p, "HOME"));
    OK(nanoproc_policy_builder_arg(p, "--flag"));
    OK(nanoproc_policy_builder_stdin(p, (const uint8_t *)"in", 2));
    OK(nanoproc_policy_builder_stdin(p, NULL, 0));
    OK(nanoproc_policy_builder_stdout(p, NANOPROC_OUTPUT_DISCARD));
    OK(nanoproc_policy_builder_stderr(p, NANOPROC_OUTPUT_INHERIT));
    OK(nanoproc_policy_builder_allow_net(p, "127.0.0.1:8080"));
    OK(nanoproc_policy_builder_allow_net(p, "*:443"));
    OK(nanoproc_policy_builder_allow_net(p, "10.0.0.0/8:*"));
    OK(nanoproc_policy_builder_allow_http(p, "https://api.example.com"));
    OK(nanoproc_policy_builder_allow_host_fn(p, "host::greet"));
    OK(nanoproc_policy_builder_allow_host_fn(p, "kv::*"));
    OK(nanoproc_policy_builder_wasi_interface(p, "sockets", false));
    OK(nanoproc_policy_builder_wasi_interface(p, "clocks", true));
    OK(nanoproc_policy_builder_max_memory(p, 64 << 20));
    OK(nanoproc_policy_builder_fuel(p, 1000000));
    OK(nanoproc_policy_builder_fuel(p, 0));
    OK(nanoproc_policy_builder_timeout_ms(p, 2000));
    OK(nanoproc_policy_builder_max_output(p, 1 << 20));
    OK(nanoproc_policy_builder_disk_quota(p, 1 << 20));
    OK(nanoproc_policy_builder_apply_toml(
        p, "environment = { TZ = \"UTC\" }\n[limits]\ntimeout = \"3s\"\n", NULL));
    OK(nanoproc_policy_builder_apply_toml(p, "dirs = [{ host = \"ro\", guest = \"/ro2\" }]\n", dir));
    OK(nanoproc_policy_builder_validate(p));
    nanoproc_policy_builder_free(p);
    nanoproc_policy_builder_free(p); /* ignored */
    nanoproc_policy_builder_free(NULL);
    rm_tree(dir);
}

TEST(policy_invalid_values) {
    nanoproc_policy_builder *p = nanoproc_policy_builder_new();
    ERR(nanoproc_policy_builder_allow_net(p, "no-port-here"), NANOPROC_ERROR_INVALID_POLICY,
        "no-port-here");
    ERR(nanoproc_policy_builder_allow_net(p, "example.com:99999"), NANOPROC_ERROR_INVALID_POLICY,
        "example.com:99999");
    ERR(nanoproc_policy_builder_allow_http(p, "ftp://files.example.com"),
        NANOPROC_ERROR_INVALID_POLICY, "ftp://files.example.com");
    ERR(nanoproc_policy_builder_wasi_interface(p, "telepathy", true),
        NANOPROC_ERROR_INVALID_POLICY, "unknown WASI interface `telepathy`");
    ERR(nanoproc_policy_builder_apply_toml(p, "max_mem = 5\n", NULL),
        NANOPROC_ERROR_INVALID_POLICY, "max_mem");
    ERR(nanoproc_policy_builder_apply_toml(p, "[limits\n", NULL), NANOPROC_ERROR_INVALID_POLICY,
        "policy TOML");
    ERR(nanoproc_policy_builder_apply_toml(p, "[limits]\nmax_memory = \"lots\"\n", NULL),
        NANOPROC_ERROR_INVALID_POLICY, "lots");
    ERR(nanoproc_policy_builder_stdout(p, 3), NANOPROC_ERROR_INVALID_ARGUMENT, "output mode 3");
    ERR(nanoproc_policy_builder_stderr(p, -1), NANOPROC_ERROR_INVALID_ARGUMENT, "output mode -1");
    /* Strings: NULL and not UTF-8. */
    ERR(nanoproc_policy_builder_env(p, NULL, "x"), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`name` is NULL");
    ERR(nanoproc_policy_builder_env(p, "X", "\xc3\x28"), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`value` is not UTF-8");
    ERR(nanoproc_policy_builder_dir(p, "/tmp", NULL, false), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`guest_dir` is NULL");
    ERR(nanoproc_policy_builder_stdin(p, NULL, 3), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`data` is NULL but its length is 3");
    /* The failed setters changed nothing: the builder is still valid. */
    OK(nanoproc_policy_builder_validate(p));
    /* A setter does not check that a directory exists; validation does. */
    OK(nanoproc_policy_builder_dir(p, "/nonexistent/nanoproc-ctest", "/x", false));
    nanoproc_error *e = nanoproc_policy_builder_validate(p);
    CHECK(e != NULL);
    if (e) {
        CHECK_CONTAINS(nanoproc_error_message(e), "/nonexistent/nanoproc-ctest");
        nanoproc_error_free(e);
    }
    nanoproc_policy_builder_free(p);
    ERR(nanoproc_policy_builder_validate(NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`policy` is NULL");
}

/* ---------------------------------------------------------------------------------------- */
/* Runs of WASI programs                                                                     */

TEST(run_hello) {
    nanoproc_policy_builder *p = captured();
    nanoproc_outcome *o = NULL;
    if (!OK(nanoproc_run_file(g_fuel, GUEST("hello.wasm"), p, &o))) goto done;
    CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
    CHECK(nanoproc_outcome_error(o) == NULL);
    char *out = stdout_of(o), *err = stderr_of(o);
    CHECK_STR(out, "hello from a nano-process\n");
    CHECK_STR(err, "");
    free(out), free(err);
    nanoproc_usage u;
    memset(&u, 0xAA, sizeof u);
    OK(nanoproc_outcome_usage(o, &u));
    CHECK(u.fuel_metered);
    CHECK(u.fuel_consumed > 0);
    CHECK(u.peak_memory_bytes > 0);
    CHECK_EQ_INT(u.stdout_bytes, 26);
    CHECK_EQ_INT(u.stderr_bytes, 0);
    CHECK_EQ_INT(u.peak_fds, 0); /* counts what the guest opened itself */
    const char *json = nanoproc_outcome_json(o);
    CHECK_CONTAINS(json, "\"status\":\"exited\"");
    CHECK_CONTAINS(json, "\"exit_code\":0");
    CHECK_CONTAINS(json, "\"stdout_bytes\":26");
    nanoproc_outcome_free(o);
    nanoproc_outcome_free(o); /* ignored */
done:
    nanoproc_policy_builder_free(p);
}

TEST(run_default_policy_and_exit_codes) {
    /* NULL policy: the default (output inherited; exit.wasm prints nothing). */
    nanoproc_outcome *o = NULL;
    if (OK(nanoproc_run_file(g_plain, GUEST("exit.wasm"), NULL, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
        nanoproc_usage u;
        OK(nanoproc_outcome_usage(o, &u));
        CHECK(!u.fuel_metered);
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder *p = captured();
    OK(nanoproc_policy_builder_arg(p, "7"));
    if (OK(nanoproc_run_file(g_plain, GUEST("exit.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 7);
        CHECK(nanoproc_outcome_error(o) == NULL); /* exited on its own */
        CHECK_CONTAINS(nanoproc_outcome_json(o), "\"exit_code\":7");
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);
}

TEST(run_stdin) {
    nanoproc_policy_builder *p = captured();
    static const uint8_t in[] = {'p', 'i', 'p', 'e', 'd', 0, 0xff, '\n'};
    OK(nanoproc_policy_builder_stdin(p, in, sizeof in));
    nanoproc_outcome *o = NULL;
    if (OK(nanoproc_run_bytes(g_plain, (const uint8_t *)CAT_STDIN_WAT, strlen(CAT_STDIN_WAT),
                              "cat_stdin", p, &o))) {
        const uint8_t *d;
        size_t n;
        OK(nanoproc_outcome_stdout(o, &d, &n));
        CHECK_EQ_INT(n, sizeof in);
        CHECK(n == sizeof in && memcmp(d, in, n) == 0);
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);
    /* Default stdin is empty. */
    p = captured();
    if (OK(nanoproc_run_bytes(g_plain, (const uint8_t *)CAT_STDIN_WAT, strlen(CAT_STDIN_WAT),
                              NULL, p, &o))) {
        char *out = stdout_of(o);
        CHECK_STR(out, "");
        free(out);
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);
}

TEST(run_cat_dirs) {
    char *dir = temp_dir();
    write_text(join(dir, "ro/a.txt"), "from the host\n");
    nanoproc_policy_builder *p = captured();
    OK(nanoproc_policy_builder_arg(p, "/data/a.txt"));
    /* No grant: the file does not exist for the guest. */
    nanoproc_outcome *o = NULL;
    if (OK(nanoproc_run_file(g_plain, GUEST("cat.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 1);
        char *err = stderr_of(o);
        CHECK_CONTAINS(err, "cat: /data/a.txt: No such file or directory");
        free(err);
        nanoproc_outcome_free(o);
    }
    OK(nanoproc_policy_builder_dir(p, join(dir, "ro"), "/data", false));
    if (OK(nanoproc_run_file(g_plain, GUEST("cat.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
        char *out = stdout_of(o);
        CHECK_STR(out, "from the host\n");
        free(out);
        nanoproc_usage u;
        OK(nanoproc_outcome_usage(o, &u));
        CHECK_EQ_INT(u.peak_fds, 1);
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);
    rm_tree(dir);
}

/* The last line of `text` (without its newline), in a static buffer. */
static const char *last_line(const char *text) {
    static char line[512];
    size_t n = strlen(text);
    while (n > 0 && text[n - 1] == '\n') n--;
    size_t start = n;
    while (start > 0 && text[start - 1] != '\n') start--;
    snprintf(line, sizeof line, "%.*s", (int)(n - start), text + start);
    return line;
}

TEST(run_fs_read_only_and_writable) {
    char *dir = temp_dir();
    write_text(join(dir, "ro/a.txt"), "source bytes");
    nanoproc_policy_builder *base = captured();
    OK(nanoproc_policy_builder_dir(base, join(dir, "ro"), "/ro", false));
    OK(nanoproc_policy_builder_dir(base, join(dir, "rw"), "/rw", true));

    /* A write into the read-only directory is refused; nothing appears on the host. */
    nanoproc_policy_builder *p = captured();
    OK(nanoproc_policy_builder_dir(p, join(dir, "ro"), "/ro", false));
    OK(nanoproc_policy_builder_dir(p, join(dir, "rw"), "/rw", true));
    OK(nanoproc_policy_builder_arg(p, "write"));
    OK(nanoproc_policy_builder_arg(p, "/ro/new.txt"));
    OK(nanoproc_policy_builder_arg(p, "nope"));
    nanoproc_outcome *o = NULL;
    if (OK(nanoproc_run_file(g_plain, GUEST("fs.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 1);
        char *out = stdout_of(o);
        CHECK(strncmp(last_line(out), "error: ", 7) == 0);
        free(out);
        nanoproc_outcome_free(o);
    }
    CHECK(access(join(dir, "ro/new.txt"), F_OK) != 0);
    nanoproc_policy_builder_free(p);

    /* The writable one takes it. */
    p = captured();
    OK(nanoproc_policy_builder_dir(p, join(dir, "rw"), "/rw", true));
    OK(nanoproc_policy_builder_arg(p, "write"));
    OK(nanoproc_policy_builder_arg(p, "/rw/new.txt"));
    OK(nanoproc_policy_builder_arg(p, "yes"));
    if (OK(nanoproc_run_file(g_plain, GUEST("fs.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
        char *out = stdout_of(o);
        CHECK_STR(last_line(out), "ok");
        free(out);
        nanoproc_outcome_free(o);
    }
    char *written = read_text(join(dir, "rw/new.txt"));
    CHECK_STR(written, "yes");
    free(written);
    nanoproc_policy_builder_free(p);

    /* copy.wasm: read-only source, writable destination. */
    OK(nanoproc_policy_builder_arg(base, "/ro/a.txt"));
    OK(nanoproc_policy_builder_arg(base, "/rw/b.txt"));
    if (OK(nanoproc_run_file(g_plain, GUEST("copy.wasm"), base, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
        nanoproc_outcome_free(o);
    }
    char *copied = read_text(join(dir, "rw/b.txt"));
    CHECK_STR(copied, "source bytes");
    free(copied);
    nanoproc_policy_builder_free(base);
    rm_tree(dir);
}

TEST(run_env) {
    nanoproc_policy_builder *p = captured();
    nanoproc_outcome *o = NULL;
    setenv("NANOPROC_CTEST_SECRET", "host-only", 1);
    /* Denied by default: the guest sees no variables at all. */
    if (OK(nanoproc_run_file(g_plain, GUEST("env.wasm"), p, &o))) {
        char *out = stdout_of(o);
        CHECK_STR(out, "");
        free(out);
        nanoproc_outcome_free(o);
    }
    OK(nanoproc_policy_builder_env(p, "GREETING", "hi"));
    OK(nanoproc_policy_builder_inherit_env(p, "NANOPROC_CTEST_SECRET"));
    OK(nanoproc_policy_builder_inherit_env(p, "NANOPROC_CTEST_UNSET"));
    if (OK(nanoproc_run_file(g_plain, GUEST("env.wasm"), p, &o))) {
        char *out = stdout_of(o);
        CHECK_STR(out, "GREETING=hi\nNANOPROC_CTEST_SECRET=host-only\n");
        free(out);
        nanoproc_outcome_free(o);
    }
    unsetenv("NANOPROC_CTEST_SECRET");
    nanoproc_policy_builder_free(p);
}

TEST(run_limits) {
    nanoproc_outcome *o = NULL;
    nanoproc_error *e;
    /* Output: flood.wasm writes forever. */
    nanoproc_policy_builder *p = captured();
    OK(nanoproc_policy_builder_max_output(p, 4096));
    if (OK(nanoproc_run_file(g_plain, GUEST("flood.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 122);
        e = nanoproc_outcome_error(o);
        CHECK_EQ_INT(nanoproc_error_exit_code(e), 122);
        ERR(e, NANOPROC_ERROR_OUTPUT_LIMIT, "--max-output");
        nanoproc_usage u;
        OK(nanoproc_outcome_usage(o, &u));
        CHECK(u.stdout_bytes <= 4096);
        const uint8_t *d;
        size_t n;
        OK(nanoproc_outcome_stdout(o, &d, &n));
        CHECK(n <= 4096);
        CHECK_CONTAINS(nanoproc_outcome_json(o), "\"status\":\"stopped\"");
        CHECK_CONTAINS(nanoproc_outcome_json(o), "\"exit_code\":122");
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);

    /* Fuel. */
    p = captured();
    OK(nanoproc_policy_builder_fuel(p, 1000000));
    if (OK(nanoproc_run_file(g_fuel, GUEST("spin.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 124);
        ERR(nanoproc_outcome_error(o), NANOPROC_ERROR_FUEL_LIMIT, "--fuel");
        nanoproc_outcome_free(o);
    }
    /* Fuel on an engine that does not meter it is refused before the guest runs. */
    e = nanoproc_run_file(g_plain, GUEST("spin.wasm"), p, &o);
    CHECK(e != NULL);
    if (e) {
        CHECK_CONTAINS(nanoproc_error_message(e), "fuel");
        nanoproc_error_free(e);
    }
    nanoproc_policy_builder_free(p);

    /* Time. */
    p = captured();
    OK(nanoproc_policy_builder_timeout_ms(p, 100));
    if (OK(nanoproc_run_file(g_plain, GUEST("spin_wat.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 124);
        ERR(nanoproc_outcome_error(o), NANOPROC_ERROR_TIME_LIMIT, "--timeout");
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);

    /* Memory. */
    p = captured();
    OK(nanoproc_policy_builder_max_memory(p, 32 << 20));
    if (OK(nanoproc_run_file(g_plain, GUEST("memhog.wasm"), p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 121);
        ERR(nanoproc_outcome_error(o), NANOPROC_ERROR_MEMORY_LIMIT, "--max-memory");
        nanoproc_outcome_free(o);
    }
    nanoproc_policy_builder_free(p);
}

TEST(run_trap_and_refusals) {
    nanoproc_outcome *o = NULL;
    nanoproc_policy_builder *p = captured();
    static const char trap[] = "(module (func (export \"_start\") unreachable))";
    if (OK(nanoproc_run_bytes(g_plain, (const uint8_t *)trap, strlen(trap), "trapper", p, &o))) {
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 123);
        ERR(nanoproc_outcome_error(o), NANOPROC_ERROR_TRAP, "unreachable");
        nanoproc_outcome_free(o);
    }
    /* Errors for what keeps a program from starting; *outcome_out untouched. */
    o = (nanoproc_outcome *)0x1;
    static const char missiles[] =
        "(module (import \"acme\" \"launch\" (func)) (func (export \"_start\")))";
    ERR(nanoproc_run_bytes(g_plain, (const uint8_t *)missiles, strlen(missiles), "missiles", p, &o),
        NANOPROC_ERROR_DENIED, "acme");
    ERR(nanoproc_run_bytes(g_plain, (const uint8_t *)"\0asm\x01\0\0\0garbage", 15, "junk", p, &o),
        NANOPROC_ERROR_INVALID_MODULE, "junk");
    ERR(nanoproc_run_file(g_plain, "/nonexistent/prog.wasm", p, &o), NANOPROC_ERROR_IO,
        "/nonexistent/prog.wasm");
    CHECK(o == (nanoproc_outcome *)0x1);
    /* Misuse. */
    ERR(nanoproc_run_file(NULL, GUEST("hello.wasm"), p, &o), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`engine` is NULL");
    ERR(nanoproc_run_file(g_plain, GUEST("hello.wasm"), p, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`outcome_out` is NULL");
    ERR(nanoproc_run_file(g_plain, "\xff.wasm", p, &o), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`path` is not UTF-8");
    ERR(nanoproc_run_bytes(g_plain, NULL, 8, NULL, p, &o), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`wasm` is NULL but its length is 8");
    ERR(nanoproc_run_file(g_plain, GUEST("hello.wasm"), (nanoproc_policy_builder *)g_plain, &o),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`policy` is a nanoproc_engine, not a nanoproc_policy_builder");
    /* An invalid policy. */
    OK(nanoproc_policy_builder_dir(p, "/nonexistent/nanoproc-ctest", "/x", false));
    nanoproc_error *e = nanoproc_run_file(g_plain, GUEST("hello.wasm"), p, &o);
    CHECK(e != NULL);
    nanoproc_error_free(e);
    nanoproc_policy_builder_free(p);
}

TEST(outcome_misuse) {
    const uint8_t *d = NULL;
    size_t n = 0;
    nanoproc_usage u;
    CHECK_EQ_INT(nanoproc_outcome_exit_code(NULL), 2);
    ERR(nanoproc_outcome_error(NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`outcome` is NULL");
    CHECK(nanoproc_outcome_json(NULL) == NULL);
    ERR(nanoproc_outcome_stdout(NULL, &d, &n), NANOPROC_ERROR_INVALID_ARGUMENT, "`outcome`");
    ERR(nanoproc_outcome_stderr(NULL, &d, &n), NANOPROC_ERROR_INVALID_ARGUMENT, "`outcome`");
    ERR(nanoproc_outcome_usage(NULL, &u), NANOPROC_ERROR_INVALID_ARGUMENT, "`outcome`");
    nanoproc_outcome_free(NULL);
    nanoproc_outcome *o = NULL;
    nanoproc_policy_builder *p = captured();
    if (OK(nanoproc_run_file(g_plain, GUEST("hello.wasm"), p, &o))) {
        ERR(nanoproc_outcome_stdout(o, NULL, &n), NANOPROC_ERROR_INVALID_ARGUMENT, "`data_out`");
        ERR(nanoproc_outcome_stderr(o, &d, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`len_out`");
        ERR(nanoproc_outcome_usage(o, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`usage_out`");
        nanoproc_outcome_free(o);
        /* Freed: every accessor refuses it. */
        CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 2);
        CHECK(nanoproc_outcome_json(o) == NULL);
        ERR(nanoproc_outcome_error(o), NANOPROC_ERROR_INVALID_ARGUMENT, "not a live nanoproc_outcome");
    }
    nanoproc_policy_builder_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Plugins                                                                                   */

TEST(plugin_echo_functions) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    if (!p) return;
    char *out = NULL;
    OK(call_text(p, "echo", "hello, plugin", NULL, &out));
    CHECK_STR(out, "hello, plugin");
    free(out);

    /* Empty output is {NULL, 0}. */
    nanoproc_buf buf = {(uint8_t *)0x1, 99};
    OK(nanoproc_plugin_call(p, "noop", 4, NULL, 0, NULL, &buf));
    CHECK(buf.data == NULL && buf.len == 0);
    OK(nanoproc_plugin_call(p, "log", 3, (const uint8_t *)"a log line", 10, NULL, &buf));
    CHECK(buf.len == 0);

    /* The name is given with its length: no NUL needed, and the rest is not read. */
    OK(nanoproc_plugin_call(p, "echo_and_more", 4, (const uint8_t *)"xy", 2, NULL, &buf));
    CHECK(buf.len == 2 && memcmp(buf.data, "xy", 2) == 0);
    nanoproc_buf_free(&buf);
    CHECK(buf.data == NULL && buf.len == 0);

    nanoproc_error *e = call_text(p, "fail", "", NULL, NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 1);
    ERR(e, NANOPROC_ERROR_PLUGIN, "failing on purpose");
    e = call_text(p, "trap", "", NULL, NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 123);
    ERR(e, NANOPROC_ERROR_TRAP, "unreachable");
    ERR(call_text(p, "no_such_function", "", NULL, NULL), NANOPROC_ERROR_ABI_VIOLATION,
        "no_such_function");

    /* The output buffer is {NULL, 0} after a failure. */
    buf.data = (uint8_t *)0x1;
    buf.len = 5;
    ERR(nanoproc_plugin_call(p, "fail", 4, NULL, 0, NULL, &buf), NANOPROC_ERROR_PLUGIN, NULL);
    CHECK(buf.data == NULL && buf.len == 0);

    /* Misuse. */
    ERR(nanoproc_plugin_call(p, "\xff\xfe", 2, NULL, 0, NULL, &buf),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`function` is not UTF-8");
    ERR(nanoproc_plugin_call(p, "echo", 4, NULL, 3, NULL, &buf), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`input` is NULL but its length is 3");
    ERR(nanoproc_plugin_call(p, NULL, 4, NULL, 0, NULL, &buf), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`function` is NULL");
    ERR(nanoproc_plugin_call(p, "echo", 4, NULL, 0, NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`output` is NULL");
    ERR(nanoproc_plugin_call(NULL, "echo", 4, NULL, 0, NULL, &buf),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`plugin` is NULL");
    nanoproc_plugin_free(p);
    nanoproc_plugin_free(p); /* ignored */
    ERR(call_text(p, "echo", "x", NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "not a live nanoproc_plugin");
}

TEST(plugin_limits) {
    nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_max_memory(pol, 16 << 20));
    OK(nanoproc_policy_builder_timeout_ms(pol, 5000));
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), pol);
    nanoproc_policy_builder_free(pol);
    if (!p) return;
    nanoproc_error *e = call_text(p, "grow", "", NULL, NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 121);
    ERR(e, NANOPROC_ERROR_MEMORY_LIMIT, "16 MiB");

    /* Per-call options override the policy. */
    nanoproc_call_options o = {0};
    o.timeout_us = 100 * 1000;
    e = call_text(p, "spin", "", &o, NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 124);
    ERR(e, NANOPROC_ERROR_TIME_LIMIT, "100ms");
    memset(&o, 0, sizeof o);
    o.fuel = 200000;
    ERR(call_text(p, "spin", "", &o, NULL), NANOPROC_ERROR_FUEL_LIMIT, NULL);
    memset(&o, 0, sizeof o);
    o.max_memory = 8 << 20;
    ERR(call_text(p, "grow", "", &o, NULL), NANOPROC_ERROR_MEMORY_LIMIT, "8 MiB");
    /* Zero fields fall back to the policy, and the plugin still works after all that. */
    memset(&o, 0, sizeof o);
    char *out = NULL;
    OK(call_text(p, "echo", "still fine", &o, &out));
    CHECK_STR(out, "still fine");
    free(out);
    nanoproc_plugin_free(p);

    /* Fuel for a call on an engine that does not meter fuel. */
    p = plugin_file(g_plain, PLUGIN("echo.wasm"), NULL);
    o.fuel = 1000;
    e = call_text(p, "noop", "", &o, NULL);
    CHECK(e != NULL);
    if (e) {
        CHECK_CONTAINS(nanoproc_error_message(e), "fuel");
        nanoproc_error_free(e);
    }
    nanoproc_plugin_free(p);
}

TEST(plugin_config_name_and_bytes) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = NULL;
    char *out = NULL;
    /* count_vowels with the config key `vowels`. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("count_vowels.wasm")));
    OK(nanoproc_plugin_builder_config(b, "vowels", "xyz"));
    ERR(nanoproc_plugin_builder_config(b, "k", NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`value` is NULL");
    if (OK(nanoproc_plugin_builder_build(b, &p))) {
        OK(call_text(p, "count_vowels", "xylophone zzz", NULL, &out));
        CHECK_STR(out, "{\"count\":5,\"total\":13,\"vowels\":\"xyz\"}");
        free(out);
        nanoproc_plugin_free(p);
    }
    /* Without config: the default vowel set. */
    p = plugin_file(g_pool, PLUGIN("count_vowels.wasm"), NULL);
    OK(call_text(p, "count_vowels", "Hello, World", NULL, &out));
    CHECK_STR(out, "{\"count\":3,\"total\":12,\"vowels\":\"aeiouAEIOU\"}");
    free(out);
    nanoproc_plugin_free(p);

    /* From bytes in memory (a .wasm read by the host). */
    size_t len = 0;
    uint8_t *wasm = read_whole(PLUGIN("echo.wasm"), &len);
    CHECK(wasm != NULL);
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_bytes(b, wasm, len));
    free(wasm); /* copied */
    if (OK(nanoproc_plugin_builder_build(b, &p))) {
        OK(call_text(p, "echo", "from bytes", NULL, &out));
        CHECK_STR(out, "from bytes");
        free(out);
        nanoproc_plugin_free(p);
    }
}

TEST(plugin_build_errors) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = (nanoproc_plugin *)0x1;
    /* No code. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_INVALID_ARGUMENT, "has no code");
    CHECK(p == (nanoproc_plugin *)0x1);
    /* The builder is consumed even so. */
    ERR(nanoproc_plugin_builder_name(b, "x"), NANOPROC_ERROR_INVALID_ARGUMENT,
        "not a live nanoproc_plugin_builder");
    nanoproc_plugin_builder_free(b); /* ignored */
    /* A file that is not there. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, "/nonexistent/plugin.wasm"));
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_IO, "/nonexistent/plugin.wasm");
    /* Not WebAssembly. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_bytes(b, (const uint8_t *)"\0asm\x01\0\0\0\xff", 9));
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_INVALID_MODULE, NULL);
    /* A module that is not a plugin (no nanoproc_alloc). */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, GUEST("hello.wasm")));
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_INVALID_MODULE, NULL);
    /* NULL out-pointer: still consumed. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("echo.wasm")));
    ERR(nanoproc_plugin_builder_build(b, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`plugin_out` is NULL");
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_INVALID_ARGUMENT,
        "not a live nanoproc_plugin_builder");
    /* An unbuilt builder is freed. */
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("echo.wasm")));
    nanoproc_plugin_builder_free(b);
    nanoproc_plugin_builder_free(NULL);
    /* Misuse of the setters. */
    ERR(nanoproc_plugin_builder_new(NULL, &b), NANOPROC_ERROR_INVALID_ARGUMENT, "`engine` is NULL");
    ERR(nanoproc_plugin_builder_new(g_pool, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`builder_out` is NULL");
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    ERR(nanoproc_plugin_builder_wasm_file(b, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`path` is NULL");
    ERR(nanoproc_plugin_builder_wasm_bytes(b, NULL, 10), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`wasm` is NULL but its length is 10");
    ERR(nanoproc_plugin_builder_name(b, "\x80"), NANOPROC_ERROR_INVALID_ARGUMENT, "not UTF-8");
    ERR(nanoproc_plugin_builder_policy(b, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`policy` is NULL");
    nanoproc_policy_builder *bad = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_dir(bad, "/nonexistent/nanoproc-ctest", "/x", false));
    nanoproc_error *e = nanoproc_plugin_builder_policy(b, bad);
    CHECK(e != NULL);
    nanoproc_error_free(e);
    nanoproc_policy_builder_free(bad);
    ERR(nanoproc_plugin_builder_audit_keep(NULL, 5), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`builder` is NULL");
    nanoproc_plugin_builder_free(b);
}

TEST(fresh_sandbox_vs_instance) {
    nanoproc_plugin *p = counter_plugin();
    if (!p) return;
    char *out = NULL;
    /* A fresh sandbox per plugin call: the count starts over every time. */
    for (int i = 0; i < 3; i++) {
        OK(call_text(p, "count", "", NULL, &out));
        CHECK_STR(out, "1");
        free(out);
    }
    /* An instance keeps its state. */
    nanoproc_instance *a = NULL, *b = NULL;
    OK(nanoproc_plugin_instance(p, &a));
    OK(nanoproc_plugin_instance(p, &b));
    const char *want[] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++) {
        OK(icall_text(a, "count", "", NULL, &out));
        CHECK_STR(out, want[i]);
        free(out);
    }
    OK(icall_text(b, "count", "", NULL, &out));
    CHECK_STR(out, "1"); /* another instance, its own state */
    free(out);
    /* After a trap the instance starts over in a fresh sandbox. */
    ERR(icall_text(a, "trap", "", NULL, NULL), NANOPROC_ERROR_TRAP, "unreachable");
    OK(icall_text(a, "count", "", NULL, &out));
    CHECK_STR(out, "1");
    free(out);
    /* A failure reported by the plugin keeps the state. */
    ERR(icall_text(a, "fail", "", NULL, NULL), NANOPROC_ERROR_PLUGIN, "failing on purpose");
    OK(icall_text(a, "count", "", NULL, &out));
    CHECK_STR(out, "2");
    free(out);
    /* The plugin can be freed before its instances. */
    nanoproc_plugin_free(p);
    OK(icall_text(b, "count", "", NULL, &out));
    CHECK_STR(out, "2");
    free(out);
    nanoproc_instance_free(a);
    nanoproc_instance_free(a); /* ignored */
    nanoproc_instance_free(b);
    nanoproc_instance_free(NULL);
    ERR(icall_text(a, "count", "", NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "not a live nanoproc_instance");
    ERR(nanoproc_plugin_instance(p, &a), NANOPROC_ERROR_INVALID_ARGUMENT, "not a live nanoproc_plugin");
    ERR(nanoproc_plugin_instance(NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, NULL);
}

TEST(instance_call_options) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    nanoproc_instance *i = NULL;
    if (!p || !OK(nanoproc_plugin_instance(p, &i))) goto done;
    nanoproc_call_options o = {0};
    o.fuel = 100000;
    ERR(icall_text(i, "spin", "", &o, NULL), NANOPROC_ERROR_FUEL_LIMIT, NULL);
    memset(&o, 0, sizeof o);
    o.timeout_us = 50 * 1000;
    ERR(icall_text(i, "spin", "", &o, NULL), NANOPROC_ERROR_TIME_LIMIT, NULL);
    memset(&o, 0, sizeof o);
    o.max_memory = 4 << 20;
    ERR(icall_text(i, "grow", "", &o, NULL), NANOPROC_ERROR_MEMORY_LIMIT, NULL);
    char *out = NULL;
    OK(icall_text(i, "echo", "after the limits", NULL, &out));
    CHECK_STR(out, "after the limits");
    free(out);
    /* A freed cancel token in the options is a misuse. */
    nanoproc_cancel *c = nanoproc_cancel_new();
    nanoproc_cancel_free(c);
    memset(&o, 0, sizeof o);
    o.cancel = c;
    ERR(icall_text(i, "echo", "x", &o, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`options.cancel`");
    ERR(call_text(p, "echo", "x", &o, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`options.cancel`");
    o.cancel = (const nanoproc_cancel *)p; /* another type */
    ERR(call_text(p, "echo", "x", &o, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "is a nanoproc_plugin, not a nanoproc_cancel");
done:
    nanoproc_instance_free(i);
    nanoproc_plugin_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Threads: cancellation, concurrent calls, frees during calls                               */

struct spin_job {
    const nanoproc_plugin *plugin;
    const nanoproc_instance *instance;
    const char *function;
    nanoproc_call_options options;
    nanoproc_error_kind kind; /* 0: succeeded */
    char message[512];
    atomic_bool done;
};

static void *spin_thread(void *arg) {
    struct spin_job *j = arg;
    nanoproc_buf out = {0};
    nanoproc_error *e =
        j->instance ? nanoproc_instance_call(j->instance, j->function, strlen(j->function), NULL,
                                             0, &j->options, &out)
                    : nanoproc_plugin_call(j->plugin, j->function, strlen(j->function), NULL, 0,
                                           &j->options, &out);
    j->kind = e ? nanoproc_error_get_kind(e) : 0;
    snprintf(j->message, sizeof j->message, "%s", e ? nanoproc_error_message(e) : "");
    nanoproc_error_free(e);
    nanoproc_buf_free(&out);
    atomic_store(&j->done, true);
    return NULL;
}

/* Echo calls, one after another, until *stop; counts those that returned their input. */
struct echo_until {
    const nanoproc_plugin *plugin;
    atomic_bool *stop;
    int calls, ok;
};

static void *echo_until_thread(void *arg) {
    struct echo_until *j = arg;
    do {
        char *out = NULL;
        nanoproc_error *e = call_text(j->plugin, "echo", "not cancelled", NULL, &out);
        j->calls++;
        if (!e && strcmp(out, "not cancelled") == 0) j->ok++;
        nanoproc_error_free(e);
        free(out);
    } while (!atomic_load(j->stop));
    return NULL;
}

TEST(cancel_token_from_another_thread) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    if (!p) return;
    nanoproc_cancel *token = nanoproc_cancel_new();
    CHECK(token != NULL);
    /* A: spins with the token and no limit; B: spins for 300 ms without the token. */
    struct spin_job a = {.plugin = p, .function = "spin"};
    a.options.cancel = token;
    struct spin_job b = {.plugin = p, .function = "spin"};
    b.options.timeout_us = 300 * 1000;
    /* C: echo calls without the token, one after another, until A has ended. */
    struct echo_until c = {.plugin = p, .stop = &a.done};
    pthread_t ta, tb, tc;
    pthread_create(&ta, NULL, spin_thread, &a);
    pthread_create(&tb, NULL, spin_thread, &b);
    pthread_create(&tc, NULL, echo_until_thread, &c);
    /* Cancel the token until A ends (a cancel reaches the calls running at that moment), and
     * keep cancelling until B ends too: B and C must not be touched. */
    while (!atomic_load(&a.done) || !atomic_load(&b.done)) {
        OK(nanoproc_cancel_cancel(token));
        sleep_ms(5);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_join(tc, NULL);
    CHECK_EQ_INT(a.kind, NANOPROC_ERROR_CANCELLED);
    CHECK_CONTAINS(a.message, "cancel");
    CHECK_EQ_INT(b.kind, NANOPROC_ERROR_TIME_LIMIT);
    CHECK(c.calls > 0);
    CHECK_EQ_INT(c.ok, c.calls); /* every call without the token completed */
    /* The token stays cancelled: a call started with it later stops before running, however
     * short; a new token cancels nothing. */
    nanoproc_call_options o = {0};
    o.cancel = token;
    ERR(call_text(p, "echo", "later", &o, NULL), NANOPROC_ERROR_CANCELLED, "cancelled");
    nanoproc_cancel *fresh = nanoproc_cancel_new();
    o.cancel = fresh;
    char *out = NULL;
    OK(call_text(p, "echo", "later", &o, &out));
    CHECK_STR(out, "later");
    free(out);
    nanoproc_cancel_free(fresh);
    nanoproc_cancel_free(token);
    nanoproc_cancel_free(token); /* ignored */
    nanoproc_cancel_free(NULL);
    ERR(nanoproc_cancel_cancel(token), NANOPROC_ERROR_INVALID_ARGUMENT, "not a live nanoproc_cancel");
    ERR(nanoproc_cancel_cancel(NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`cancel` is NULL");
    nanoproc_plugin_free(p);
}

TEST(plugin_wide_cancel) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    if (!p) return;
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    /* A fresh-sandbox call and an instance call, both stopped by one plugin cancel. */
    struct spin_job a = {.plugin = p, .function = "spin"};
    struct spin_job b = {.instance = inst, .function = "spin"};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, spin_thread, &a);
    pthread_create(&tb, NULL, spin_thread, &b);
    while (!atomic_load(&a.done) || !atomic_load(&b.done)) {
        OK(nanoproc_plugin_cancel(p));
        sleep_ms(5);
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ_INT(a.kind, NANOPROC_ERROR_CANCELLED);
    CHECK_EQ_INT(b.kind, NANOPROC_ERROR_CANCELLED);
    /* Later calls run normally. */
    char *out = NULL;
    OK(call_text(p, "echo", "again", NULL, &out));
    CHECK_STR(out, "again");
    free(out);
    OK(icall_text(inst, "echo", "again", NULL, &out));
    CHECK_STR(out, "again");
    free(out);
    nanoproc_instance_free(inst);
    nanoproc_plugin_free(p);
    ERR(nanoproc_plugin_cancel(p), NANOPROC_ERROR_INVALID_ARGUMENT, "not a live nanoproc_plugin");
}

struct echo_job {
    const nanoproc_plugin *plugin;
    int calls, ok;
};

static void *echo_thread(void *arg) {
    struct echo_job *j = arg;
    char input[64];
    for (int i = 0; i < j->calls; i++) {
        snprintf(input, sizeof input, "call %d of thread %p", i, (void *)j);
        nanoproc_buf out = {0};
        nanoproc_error *e = nanoproc_plugin_call(j->plugin, "echo", 4, (const uint8_t *)input,
                                                 strlen(input), NULL, &out);
        if (!e && out.len == strlen(input) && memcmp(out.data, input, out.len) == 0) j->ok++;
        nanoproc_error_free(e);
        nanoproc_buf_free(&out);
    }
    return NULL;
}

TEST(concurrent_plugin_calls) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    if (!p) return;
    enum { THREADS = 4 };
    struct echo_job jobs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        jobs[i] = (struct echo_job){.plugin = p, .calls = 25};
        pthread_create(&t[i], NULL, echo_thread, &jobs[i]);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK_EQ_INT(jobs[i].ok, 25);
    }
    nanoproc_plugin_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Host functions                                                                            */

struct greeter {
    const char *prefix;
    atomic_int calls;
    atomic_int freed;
    /* What the callback saw. */
    char plugin_name[64];
    int64_t remaining_ms;
    bool should_stop;
    bool set_error_bad_utf8;
    /* For the tests below: fail with this status (0: succeed), and this message (NULL: none). */
    int32_t status;
    const char *message;
    /* The call pointer of the last callback (for the stale-pointer test). */
    nanoproc_host_call *last_call;
    bool stale_refused;
    /* Block in the callback until `release` (for the free-during-call test). */
    atomic_bool entered, release, block;
    /* An instance to re-enter from the callback, and what that gave. */
    const nanoproc_instance *reenter;
    nanoproc_error_kind reenter_kind;
    char reenter_message[256];
};

static void greeter_free(void *data) {
    struct greeter *g = data;
    atomic_fetch_add(&g->freed, 1);
}

static int32_t greet(void *data, nanoproc_host_call *call, const uint8_t *input, size_t len) {
    struct greeter *g = data;
    atomic_fetch_add(&g->calls, 1);
    const char *name = nanoproc_host_call_plugin(call);
    snprintf(g->plugin_name, sizeof g->plugin_name, "%s", name ? name : "(null)");
    g->remaining_ms = nanoproc_host_call_remaining_ms(call);
    g->should_stop = nanoproc_host_call_should_stop(call);
    g->set_error_bad_utf8 = nanoproc_host_call_set_error(call, "\xff");
    /* A call pointer kept from an earlier callback is refused, even at the same address. */
    if (g->last_call != NULL) {
        g->stale_refused = !nanoproc_host_call_set_output(g->last_call, (const uint8_t *)"stale", 5) &&
                           nanoproc_host_call_plugin(g->last_call) == NULL;
    }
    g->last_call = call;
    if (g->reenter) {
        nanoproc_buf out = {0};
        nanoproc_error *e = nanoproc_instance_call(g->reenter, "call_host", 9, NULL, 0, NULL, &out);
        g->reenter_kind = e ? nanoproc_error_get_kind(e) : 0;
        snprintf(g->reenter_message, sizeof g->reenter_message, "%s",
                 e ? nanoproc_error_message(e) : "");
        nanoproc_error_free(e);
        nanoproc_buf_free(&out);
    }
    if (atomic_load(&g->block)) {
        atomic_store(&g->entered, true);
        while (!atomic_load(&g->release)) sleep_ms(1);
    }
    if (g->status != 0) {
        if (g->message) CHECK(nanoproc_host_call_set_error(call, g->message));
        return g->status;
    }
    char out[256];
    int n = snprintf(out, sizeof out, "%s%.*s", g->prefix, (int)len, (const char *)input);
    CHECK(nanoproc_host_call_set_output(call, (const uint8_t *)out, (size_t)n));
    CHECK(!nanoproc_host_call_set_output(call, NULL, 3)); /* NULL data with a length */
    return 0;
}

/* call_host.wasm with host::greet registered on `g` and granted (unless `grant` is false),
 * named `name` (NULL: the default, the file name). */
static nanoproc_error *named_greeter_plugin(struct greeter *g, bool grant, const char *name,
                                            nanoproc_plugin **out) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_error *e = nanoproc_plugin_builder_new(g_pool, &b);
    if (e) return e;
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("call_host.wasm")));
    if (name) OK(nanoproc_plugin_builder_name(b, name));
    OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, g, greeter_free));
    nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
    if (grant) OK(nanoproc_policy_builder_allow_host_fn(pol, "host::greet"));
    OK(nanoproc_plugin_builder_policy(b, pol));
    nanoproc_policy_builder_free(pol);
    return nanoproc_plugin_builder_build(b, out);
}

static nanoproc_error *greeter_plugin(struct greeter *g, bool grant, nanoproc_plugin **out) {
    return named_greeter_plugin(g, grant, NULL, out);
}

TEST(host_function_with_user_data) {
    struct greeter g = {.prefix = "hello, "};
    nanoproc_plugin *p = NULL;
    if (!OK(greeter_plugin(&g, true, &p))) return;
    char *out = NULL;
    OK(call_text(p, "call_host", "world", NULL, &out));
    CHECK_STR(out, "plugin got: hello, world");
    free(out);
    CHECK_EQ_INT(atomic_load(&g.calls), 1);
    CHECK_STR(g.plugin_name, "call_host");
    CHECK_EQ_INT(g.remaining_ms, -1); /* no timeout */
    CHECK(!g.should_stop);
    CHECK(!g.set_error_bad_utf8);
    /* With a per-call timeout the callback sees time left. */
    nanoproc_call_options o = {0};
    o.timeout_us = 60 * 1000 * 1000;
    OK(call_text(p, "call_host", "again", &o, &out));
    CHECK_STR(out, "plugin got: hello, again");
    free(out);
    CHECK(g.remaining_ms > 0 && g.remaining_ms <= 60000);
    /* The pointer the first callback kept was refused in the second. */
    CHECK(g.stale_refused);
    /* And outside any callback. */
    CHECK(!nanoproc_host_call_set_output(g.last_call, (const uint8_t *)"x", 1));
    CHECK(!nanoproc_host_call_set_error(g.last_call, "x"));
    CHECK(nanoproc_host_call_should_stop(g.last_call));
    CHECK_EQ_INT(nanoproc_host_call_remaining_ms(g.last_call), -1);
    CHECK(nanoproc_host_call_plugin(g.last_call) == NULL);
    CHECK(!nanoproc_host_call_set_output(NULL, (const uint8_t *)"x", 1));
    CHECK(nanoproc_host_call_should_stop(NULL));
    CHECK(nanoproc_host_call_plugin(NULL) == NULL);

    /* An instance holds the host function too: the user data outlives the plugin handle. */
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&g.freed), 0);
    OK(icall_text(inst, "call_host", "instance", NULL, &out));
    CHECK_STR(out, "plugin got: hello, instance");
    free(out);
    nanoproc_instance_free(inst);
    CHECK_EQ_INT(atomic_load(&g.freed), 1); /* exactly once, when the last holder went */
    CHECK_EQ_INT(atomic_load(&g.calls), 3);

    /* A plugin's name (builder_name) is what host functions see. */
    struct greeter g2 = {.prefix = ""};
    if (OK(named_greeter_plugin(&g2, true, "greeter-plugin", &p))) {
        OK(call_text(p, "call_host", "x", NULL, NULL));
        CHECK_STR(g2.plugin_name, "greeter-plugin");
        nanoproc_plugin_free(p);
    }
}

TEST(host_function_not_granted) {
    struct greeter g = {.prefix = "hello, "};
    nanoproc_plugin *p = (nanoproc_plugin *)0x1;
    ERR(greeter_plugin(&g, false, &p), NANOPROC_ERROR_DENIED, "host::greet");
    CHECK(p == (nanoproc_plugin *)0x1);
    CHECK_EQ_INT(atomic_load(&g.freed), 1); /* freed when the build failed */
    CHECK_EQ_INT(atomic_load(&g.calls), 0);
    /* Granted but not registered. */
    nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_allow_host_fn(pol, "host::*"));
    nanoproc_plugin_builder *b = NULL;
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("call_host.wasm")));
    OK(nanoproc_plugin_builder_policy(b, pol));
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_DENIED, "host::greet");
    nanoproc_policy_builder_free(pol);
}

TEST(host_function_failures) {
    struct greeter g = {.prefix = "hello, ", .status = 5};
    nanoproc_plugin *p = NULL;
    if (!OK(greeter_plugin(&g, true, &p))) return;
    nanoproc_error *e = call_text(p, "call_host", "x", NULL, NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 123);
    ERR(e, NANOPROC_ERROR_HOST_FUNCTION, "returned status 5");
    g.status = -1;
    g.message = "the database is down";
    ERR(call_text(p, "call_host", "x", NULL, NULL), NANOPROC_ERROR_HOST_FUNCTION,
        "the database is down");
    ERR(call_text(p, "call_host", "x", NULL, NULL), NANOPROC_ERROR_HOST_FUNCTION, "host::greet");
    /* The plugin is fine afterwards. */
    g.status = 0;
    char *out = NULL;
    OK(call_text(p, "call_host", "ok", NULL, &out));
    CHECK_STR(out, "plugin got: hello, ok");
    free(out);
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

TEST(host_function_user_data_freed_once) {
    /* Builder freed unbuilt. */
    struct greeter g = {0};
    nanoproc_plugin_builder *b = NULL;
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, &g, greeter_free));
    OK(nanoproc_plugin_builder_host_fn(b, "host", "other", greet, &g, greeter_free));
    CHECK_EQ_INT(atomic_load(&g.freed), 0);
    nanoproc_plugin_builder_free(b);
    CHECK_EQ_INT(atomic_load(&g.freed), 2); /* once per registration */
    /* The registration fails: freed at once. */
    atomic_store(&g.freed, 0);
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    ERR(nanoproc_plugin_builder_host_fn(b, "host", "greet", NULL, &g, greeter_free),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`callback` is NULL");
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
    ERR(nanoproc_plugin_builder_host_fn(b, NULL, "greet", greet, &g, greeter_free),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`namespace` is NULL");
    CHECK_EQ_INT(atomic_load(&g.freed), 2);
    ERR(nanoproc_plugin_builder_host_fn(NULL, "host", "greet", greet, &g, greeter_free),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`builder` is NULL");
    CHECK_EQ_INT(atomic_load(&g.freed), 3);
    /* NULL free function: nothing to call. */
    OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, &g, NULL));
    nanoproc_plugin_builder_free(b);
    CHECK_EQ_INT(atomic_load(&g.freed), 3);
    /* Build fails for another reason (no code): freed once. */
    atomic_store(&g.freed, 0);
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, &g, greeter_free));
    nanoproc_plugin *p = NULL;
    ERR(nanoproc_plugin_builder_build(b, &p), NANOPROC_ERROR_INVALID_ARGUMENT, "no code");
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

struct host_job {
    const nanoproc_plugin *plugin;
    char output[128];
    nanoproc_error_kind kind;
};

static void *host_call_thread(void *arg) {
    struct host_job *j = arg;
    char *out = NULL;
    nanoproc_error *e = call_text(j->plugin, "call_host", "racer", NULL, &out);
    j->kind = e ? nanoproc_error_get_kind(e) : 0;
    snprintf(j->output, sizeof j->output, "%s", out);
    free(out);
    nanoproc_error_free(e);
    return NULL;
}

TEST(free_plugin_during_call) {
    struct greeter g = {.prefix = "hello, "};
    atomic_store(&g.block, true);
    nanoproc_plugin *p = NULL;
    if (!OK(greeter_plugin(&g, true, &p))) return;
    struct host_job j = {.plugin = p};
    pthread_t t;
    pthread_create(&t, NULL, host_call_thread, &j);
    while (!atomic_load(&g.entered)) sleep_ms(1);
    /* The call is inside the host function now: free the plugin under it. */
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&g.freed), 0); /* still in use */
    ERR(call_text(p, "call_host", "x", NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "not a live nanoproc_plugin");
    atomic_store(&g.release, true);
    pthread_join(t, NULL);
    CHECK_EQ_INT(j.kind, 0);
    CHECK_STR(j.output, "plugin got: hello, racer");
    CHECK_EQ_INT(atomic_load(&g.freed), 1); /* once the call let go */
}

struct instance_job {
    const nanoproc_instance *instance;
    char output[128];
    nanoproc_error_kind kind;
};

static void *instance_call_thread(void *arg) {
    struct instance_job *j = arg;
    char *out = NULL;
    nanoproc_error *e = icall_text(j->instance, "call_host", "first", NULL, &out);
    j->kind = e ? nanoproc_error_get_kind(e) : 0;
    snprintf(j->output, sizeof j->output, "%s", out);
    free(out);
    nanoproc_error_free(e);
    return NULL;
}

TEST(instance_busy_is_refused) {
    struct greeter g = {.prefix = "hello, "};
    atomic_store(&g.block, true);
    nanoproc_plugin *p = NULL;
    if (!OK(greeter_plugin(&g, true, &p))) return;
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    struct instance_job j = {.instance = inst};
    pthread_t t;
    pthread_create(&t, NULL, instance_call_thread, &j);
    while (!atomic_load(&g.entered)) sleep_ms(1);
    /* A's call is inside the instance now: a second call is refused at once, not queued. */
    ERR(icall_text(inst, "call_host", "second", NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`instance` is busy with another call");
    atomic_store(&g.release, true);
    pthread_join(t, NULL);
    CHECK_EQ_INT(j.kind, 0);
    CHECK_STR(j.output, "plugin got: hello, first");
    atomic_store(&g.block, false);
    char *out = NULL;
    OK(icall_text(inst, "call_host", "then", NULL, &out));
    CHECK_STR(out, "plugin got: hello, then");
    free(out);
    nanoproc_instance_free(inst);
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

TEST(host_function_reentering_its_instance) {
    struct greeter g = {.prefix = "hello, "};
    nanoproc_plugin *p = NULL;
    if (!OK(greeter_plugin(&g, true, &p))) return;
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    g.reenter = inst;
    char *out = NULL;
    OK(icall_text(inst, "call_host", "outer", NULL, &out));
    CHECK_STR(out, "plugin got: hello, outer");
    free(out);
    CHECK_EQ_INT(g.reenter_kind, NANOPROC_ERROR_INVALID_ARGUMENT);
    CHECK_CONTAINS(g.reenter_message, "`instance` is busy");
    CHECK_EQ_INT(atomic_load(&g.calls), 1);
    nanoproc_instance_free(inst);
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Audit                                                                                     */

struct audit_sink {
    atomic_int events;
    atomic_int freed;
    char first[512];
    bool saw_greet;
};

static void audit_cb(void *data, const char *json, size_t len) {
    struct audit_sink *s = data;
    if (atomic_fetch_add(&s->events, 1) == 0)
        snprintf(s->first, sizeof s->first, "%.*s", (int)len, json);
    char copy[1024];
    snprintf(copy, sizeof copy, "%.*s", (int)len, json);
    if (strstr(copy, "host::greet")) s->saw_greet = true;
}

static void audit_free(void *data) {
    struct audit_sink *s = data;
    atomic_fetch_add(&s->freed, 1);
}

TEST(audit_kept_and_streamed) {
    struct greeter g = {.prefix = "hi "};
    struct audit_sink sink = {0};
    nanoproc_plugin_builder *b = NULL;
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("call_host.wasm")));
    OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, &g, greeter_free));
    nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_allow_host_fn(pol, "host::greet"));
    OK(nanoproc_plugin_builder_policy(b, pol));
    nanoproc_policy_builder_free(pol);
    OK(nanoproc_plugin_builder_audit_callback(b, audit_cb, &sink, audit_free));
    ERR(nanoproc_plugin_builder_audit_callback(b, NULL, &sink, audit_free),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`callback` is NULL");
    CHECK_EQ_INT(atomic_load(&sink.freed), 1); /* the failed registration's user data */
    atomic_store(&sink.freed, 0);
    nanoproc_plugin *p = NULL;
    if (!OK(nanoproc_plugin_builder_build(b, &p))) return;
    OK(call_text(p, "call_host", "auditor", NULL, NULL));
    nanoproc_buf json = {0};
    OK(nanoproc_plugin_audit_take(p, &json));
    char *text = strndup((const char *)json.data, json.len);
    CHECK_CONTAINS(text, "\"events\":[");
    CHECK_CONTAINS(text, "host::greet");
    CHECK_CONTAINS(text, "\"decision\":\"allowed\"");
    CHECK_CONTAINS(text, "\"dropped\":0");
    free(text);
    nanoproc_buf_free(&json);
    /* Taken: the store is empty now. */
    OK(nanoproc_plugin_audit_take(p, &json));
    text = strndup((const char *)json.data, json.len);
    CHECK_STR(text, "{\"dropped\":0,\"events\":[]}");
    free(text);
    nanoproc_buf_free(&json);
    /* The callback saw the same events as they happened. */
    CHECK(atomic_load(&sink.events) >= 1);
    CHECK(sink.saw_greet);
    CHECK_CONTAINS(sink.first, "\"decision\":");
    ERR(nanoproc_plugin_audit_take(p, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`json_out` is NULL");
    ERR(nanoproc_plugin_audit_take(NULL, &json), NANOPROC_ERROR_INVALID_ARGUMENT, "`plugin` is NULL");
    nanoproc_plugin_free(p);
    CHECK_EQ_INT(atomic_load(&sink.freed), 1);
    CHECK_EQ_INT(atomic_load(&g.freed), 1);
}

TEST(audit_keep_limit) {
    struct greeter g = {.prefix = ""};
    for (int keep = 0; keep <= 1; keep++) {
        nanoproc_plugin_builder *b = NULL;
        OK(nanoproc_plugin_builder_new(g_pool, &b));
        OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("call_host.wasm")));
        OK(nanoproc_plugin_builder_host_fn(b, "host", "greet", greet, &g, NULL));
        nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
        OK(nanoproc_policy_builder_allow_host_fn(pol, "host::greet"));
        OK(nanoproc_plugin_builder_policy(b, pol));
        nanoproc_policy_builder_free(pol);
        OK(nanoproc_plugin_builder_audit_keep(b, (size_t)keep));
        nanoproc_plugin *p = NULL;
        if (!OK(nanoproc_plugin_builder_build(b, &p))) return;
        for (int i = 0; i < 3; i++) OK(call_text(p, "call_host", "x", NULL, NULL));
        nanoproc_buf json = {0};
        OK(nanoproc_plugin_audit_take(p, &json));
        char *text = strndup((const char *)json.data, json.len);
        if (keep == 0) {
            CHECK_STR(text, "{\"events\":[],\"dropped\":0}");
        } else {
            /* One kept, the older ones counted. */
            CHECK_CONTAINS(text, "host::greet");
            CHECK(strstr(text, "\"dropped\":0") == NULL);
        }
        free(text);
        nanoproc_buf_free(&json);
        nanoproc_plugin_free(p);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Listing, components                                                                       */

TEST(function_listing) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    if (!p) return;
    size_t n = 0;
    OK(nanoproc_plugin_function_count(p, &n));
    CHECK_EQ_INT(n, 7);
    const char *want[] = {"echo", "noop", "fail", "trap", "spin", "grow", "log"};
    int found = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = NULL;
        size_t len = 0;
        OK(nanoproc_plugin_function(p, i, &name, &len));
        CHECK(name != NULL && strlen(name) == len);
        for (int k = 0; k < 7; k++)
            if (name && strcmp(name, want[k]) == 0) found++;
        OK(nanoproc_plugin_function(p, i, &name, NULL)); /* length optional */
    }
    CHECK_EQ_INT(found, 7);
    const char *name = NULL;
    ERR(nanoproc_plugin_function(p, 7, &name, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        "function index 7 is out of range: the plugin has 7 functions");
    ERR(nanoproc_plugin_function(p, 0, NULL, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`name_out`");
    ERR(nanoproc_plugin_function_count(p, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`count_out`");
    ERR(nanoproc_plugin_function_count(NULL, &n), NANOPROC_ERROR_INVALID_ARGUMENT, "`plugin`");
    bool is_component = true;
    OK(nanoproc_plugin_is_component(p, &is_component));
    CHECK(!is_component);
    ERR(nanoproc_plugin_is_component(p, NULL), NANOPROC_ERROR_INVALID_ARGUMENT, "`out` is NULL");
    nanoproc_plugin_free(p);
}

TEST(component_plugin) {
    nanoproc_plugin_builder *b = NULL;
    nanoproc_plugin *p = NULL;
    OK(nanoproc_plugin_builder_new(g_pool, &b));
    OK(nanoproc_plugin_builder_wasm_file(b, repo_path("examples/components/bin/count_vowels.wasm")));
    OK(nanoproc_plugin_builder_config(b, "vowels", "o"));
    if (!OK(nanoproc_plugin_builder_build(b, &p))) return;
    bool is_component = false;
    OK(nanoproc_plugin_is_component(p, &is_component));
    CHECK(is_component);
    size_t n = 0;
    OK(nanoproc_plugin_function_count(p, &n));
    CHECK_EQ_INT(n, 5);
    char *out = NULL;
    OK(call_text(p, "count_vowels", "foo boo", NULL, &out));
    CHECK_STR(out, "{\"count\":4,\"total\":7,\"vowels\":\"o\"}");
    free(out);
    OK(call_text(p, "echo", "component echo", NULL, &out));
    CHECK_STR(out, "component echo");
    free(out);
    ERR(call_text(p, "fail", "", NULL, NULL), NANOPROC_ERROR_PLUGIN, "failing on purpose");
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    OK(icall_text(inst, "echo", "in an instance", NULL, &out));
    CHECK_STR(out, "in an instance");
    free(out);
    nanoproc_instance_free(inst);
    nanoproc_plugin_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Handle misuse and buffers                                                                 */


#define INTEGRITY(name) repo_path("examples/integrity/" name)

/* Signed binaries run under a policy trusting their publisher; unsigned or tampered ones are
 * refused with NANOPROC_ERROR_INTEGRITY (exit 126); receipts verify and edits are caught. */
TEST(integrity_signatures_and_receipts) {
    nanoproc_policy_builder *p = captured();
    nanoproc_outcome *o = NULL;
    nanoproc_plugin *plugin = NULL;
    nanoproc_buf receipt = {0};
    uint8_t *bytes = NULL;
    if (!OK(nanoproc_policy_builder_trust_key(p, INTEGRITY("keys/publisher.pub")))) goto done;
    ERR(nanoproc_policy_builder_trust_key(p, INTEGRITY("keys/publisher.key")),
        NANOPROC_ERROR_INVALID_POLICY, "secret key");
    ERR(nanoproc_policy_builder_require_signature(p, 7), NANOPROC_ERROR_INVALID_ARGUMENT,
        "nanoproc_signature_requirement");
    ERR(nanoproc_policy_builder_pin_sha256(p, "abc"), NANOPROC_ERROR_INVALID_POLICY,
        "not a sha256 digest");

    /* Unsigned: refused before anything runs. */
    nanoproc_error *e = nanoproc_run_file(g_fuel, GUEST("hello.wasm"), p, &o);
    CHECK(o == NULL);
    CHECK_EQ_INT(nanoproc_error_exit_code(e), 126);
    ERR(e, NANOPROC_ERROR_INTEGRITY, "is not signed");

    /* Signed: runs, and its receipt verifies with the host key only. */
    if (!OK(nanoproc_run_file(g_fuel, INTEGRITY("bin/hello.signed.wasm"), p, &o))) goto done;
    CHECK_EQ_INT(nanoproc_outcome_exit_code(o), 0);
    if (!OK(nanoproc_outcome_receipt(o, INTEGRITY("keys/host.key"), &receipt))) goto done;
    OK(nanoproc_receipt_verify(receipt.data, receipt.len, INTEGRITY("keys/host.pub")));
    ERR(nanoproc_receipt_verify(receipt.data, receipt.len, INTEGRITY("keys/publisher.pub")),
        NANOPROC_ERROR_INTEGRITY, "not by a trusted host key");
    char *exit_at = memmem(receipt.data, receipt.len, "\"exit_code\": 0", 14);
    CHECK(exit_at != NULL);
    if (exit_at) {
        exit_at[13] = '5';
        ERR(nanoproc_receipt_verify(receipt.data, receipt.len, INTEGRITY("keys/host.pub")),
            NANOPROC_ERROR_INTEGRITY, "was modified after it was signed");
    }

    /* One flipped byte of a signed binary. */
    size_t len = 0;
    bytes = read_whole(INTEGRITY("bin/hello.signed.wasm"), &len);
    CHECK(bytes != NULL && len > 300);
    if (bytes && len > 300) {
        bytes[len - 300] ^= 1;
        nanoproc_outcome *t = NULL;
        ERR(nanoproc_run_bytes(g_fuel, bytes, len, "tampered.wasm", p, &t),
            NANOPROC_ERROR_INTEGRITY, "was modified after it was signed");
        CHECK(t == NULL);
    }

    /* Plugins: the signed echo builds and answers; the unsigned one is refused. */
    nanoproc_plugin_builder *b = NULL;
    if (OK(nanoproc_plugin_builder_new(g_pool, &b))) {
        OK(nanoproc_plugin_builder_wasm_file(b, PLUGIN("echo.wasm")));
        OK(nanoproc_plugin_builder_policy(b, p));
        ERR(nanoproc_plugin_builder_build(b, &plugin), NANOPROC_ERROR_INTEGRITY, "is not signed");
    }
    plugin = plugin_file(g_pool, INTEGRITY("bin/echo.signed.wasm"), p);
    if (plugin) {
        char *out = NULL;
        OK(call_text(plugin, "echo", "signed", NULL, &out));
        CHECK_STR(out, "signed");
        free(out);
    }
done:
    free(bytes);
    nanoproc_buf_free(&receipt);
    nanoproc_plugin_free(plugin);
    nanoproc_outcome_free(o);
    nanoproc_policy_builder_free(p);
}

TEST(integrity_sha256_pins) {
    nanoproc_policy_builder *p = captured();
    nanoproc_outcome *o = NULL;
    OK(nanoproc_policy_builder_pin_sha256(
        p, "0000000000000000000000000000000000000000000000000000000000000000"));
    ERR(nanoproc_run_file(g_fuel, GUEST("hello.wasm"), p, &o), NANOPROC_ERROR_INTEGRITY,
        "which the policy does not pin");
    CHECK(o == NULL);
    nanoproc_policy_builder_free(p);
    /* A requirement without a key is an invalid policy. */
    p = nanoproc_policy_builder_new();
    OK(nanoproc_policy_builder_require_signature(p, NANOPROC_SIGNATURE_ALL));
    ERR(nanoproc_policy_builder_validate(p), NANOPROC_ERROR_INVALID_POLICY,
        "needs at least one trusted key");
    nanoproc_policy_builder_free(p);
}

TEST(handle_misuse) {
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    nanoproc_policy_builder *pol = nanoproc_policy_builder_new();
    nanoproc_cancel *c = nanoproc_cancel_new();
    size_t n;
    /* Wrong types. */
    ERR(nanoproc_plugin_function_count((const nanoproc_plugin *)pol, &n),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`plugin` is a nanoproc_policy_builder, not a nanoproc_plugin");
    ERR(nanoproc_policy_builder_env((nanoproc_policy_builder *)p, "A", "B"),
        NANOPROC_ERROR_INVALID_ARGUMENT, "`policy` is a nanoproc_plugin, not a nanoproc_policy_builder");
    ERR(nanoproc_cancel_cancel((const nanoproc_cancel *)g_pool), NANOPROC_ERROR_INVALID_ARGUMENT,
        "is a nanoproc_engine, not a nanoproc_cancel");
    ERR(nanoproc_plugin_builder_new((const nanoproc_engine *)c, NULL), NANOPROC_ERROR_INVALID_ARGUMENT,
        NULL);
    /* Freeing through the wrong free function does nothing. */
    nanoproc_engine_free((nanoproc_engine *)p);
    nanoproc_cancel_free((nanoproc_cancel *)pol);
    nanoproc_outcome_free((nanoproc_outcome *)c);
    OK(nanoproc_plugin_function_count(p, &n));
    OK(nanoproc_policy_builder_validate(pol));
    OK(nanoproc_cancel_cancel(c));
    /* Forged pointers (never dereferenced). */
    int local = 0;
    ERR(nanoproc_plugin_function_count((const nanoproc_plugin *)&local, &n),
        NANOPROC_ERROR_INVALID_ARGUMENT, "never came from nanoproc");
    ERR(nanoproc_plugin_function_count((const nanoproc_plugin *)(uintptr_t)0xdeadbeef0, &n),
        NANOPROC_ERROR_INVALID_ARGUMENT, "never came from nanoproc");
    nanoproc_plugin_free((nanoproc_plugin *)(uintptr_t)0x10);
    nanoproc_error_free((nanoproc_error *)&local);
    CHECK_EQ_INT(nanoproc_error_get_kind((const nanoproc_error *)&local), NANOPROC_ERROR_INVALID_ARGUMENT);
    /* A freed handle stays invalid even when a new one of its type is made right after. */
    nanoproc_policy_builder_free(pol);
    nanoproc_policy_builder *pol2 = nanoproc_policy_builder_new();
    CHECK(pol2 != pol);
    ERR(nanoproc_policy_builder_env(pol, "A", "B"), NANOPROC_ERROR_INVALID_ARGUMENT,
        "`policy` is not a live nanoproc_policy_builder");
    nanoproc_policy_builder_free(pol2);
    nanoproc_cancel_free(c);
    nanoproc_plugin_free(p);
}

TEST(buffers) {
    nanoproc_buf_free(NULL);
    nanoproc_buf empty = {0};
    nanoproc_buf_free(&empty);
    /* Not from nanoproc: ignored (and reset). */
    uint8_t mine[4] = {1, 2, 3, 4};
    nanoproc_buf foreign = {mine, 4};
    nanoproc_buf_free(&foreign);
    CHECK(foreign.data == NULL && foreign.len == 0);
    CHECK_EQ_INT(mine[0], 1);
    /* A real one counts as a live object until freed; freeing it twice is harmless. */
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), NULL);
    size_t before = nanoproc_live_objects();
    nanoproc_buf out = {0};
    OK(nanoproc_plugin_call(p, "echo", 4, (const uint8_t *)"abc", 3, NULL, &out));
    CHECK_EQ_INT(nanoproc_live_objects(), before + 1);
    nanoproc_buf_free(&out);
    CHECK_EQ_INT(nanoproc_live_objects(), before);
    nanoproc_buf_free(&out);
    nanoproc_plugin_free(p);
}

/* ---------------------------------------------------------------------------------------- */
/* Soak: nothing grows across create/call/free                                               */

/* One round of everything a host does: build a plugin, call it (fresh and in an instance,
 * successes and failures), run a program, make and drop tokens, policies and errors. */
static void soak_round(void) {
    nanoproc_policy_builder *pol = captured();
    OK(nanoproc_policy_builder_max_memory(pol, 16 << 20));
    nanoproc_plugin *p = plugin_file(g_pool, PLUGIN("echo.wasm"), pol);
    nanoproc_cancel *c = nanoproc_cancel_new();
    nanoproc_call_options o = {.cancel = c, .fuel = 1000000};
    char *out = NULL;
    OK(call_text(p, "echo", "soak", &o, &out));
    free(out);
    nanoproc_error_free(call_text(p, "trap", "", NULL, NULL));
    nanoproc_error_free(call_text(p, "fail", "", NULL, NULL));
    nanoproc_instance *inst = NULL;
    OK(nanoproc_plugin_instance(p, &inst));
    OK(icall_text(inst, "echo", "soak", NULL, &out));
    free(out);
    nanoproc_error_free(icall_text(inst, "spin", "", &o, NULL));
    nanoproc_buf audit = {0};
    OK(nanoproc_plugin_audit_take(p, &audit));
    nanoproc_buf_free(&audit);
    nanoproc_outcome *oc = NULL;
    if (OK(nanoproc_run_file(g_fuel, GUEST("hello.wasm"), pol, &oc))) {
        nanoproc_error_free(nanoproc_outcome_error(oc));
        nanoproc_outcome_free(oc);
    }
    nanoproc_instance_free(inst);
    nanoproc_cancel_free(c);
    nanoproc_plugin_free(p);
    nanoproc_policy_builder_free(pol);
}

/* Bytes the allocator has handed out and not had back (all arenas, and mmapped blocks). */
static size_t heap_in_use(void) {
    struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

TEST(soak_no_growth) {
    const char *on = getenv("NANOPROC_TEST_SOAK");
    if (!(on && strcmp(on, "1") == 0)) {
        SKIP("set NANOPROC_TEST_SOAK=1 (run.sh does in the plain run; the checkers' allocators have no statistics)");
        return;
    }
    /* Fill the handle quarantine (freed handles' addresses are held back for a while), so
     * that its growth does not count. */
    for (int i = 0; i < 20000; i++) nanoproc_cancel_free(nanoproc_cancel_new());
    /* Caches and tables inside the engine and the allocator grow to a high-water mark and
     * stop; a leak grows by the same amount every round, forever. So: rounds in phases of
     * 500 until one phase grows the heap by less than 16 KiB, i.e. by less than 33 bytes a
     * round. A leak of 33 bytes or more per round never gets there. */
    enum { ROUNDS = 500, PHASES = 12, LIMIT = 16 * 1024 };
    long long grown = 0;
    int phase;
    for (phase = 1; phase <= PHASES; phase++) {
        size_t before = heap_in_use();
        for (int i = 0; i < ROUNDS; i++) soak_round();
        grown = (long long)heap_in_use() - (long long)before;
        printf("    phase %d: heap in use %+lld bytes over %d rounds\n", phase, grown, ROUNDS);
        if (grown < LIMIT) break;
    }
    CHECK(grown < LIMIT);
}

/* ---------------------------------------------------------------------------------------- */

static const struct h_test tests[] = {
    ENTRY(version),
    ENTRY(engine_flags),
    ENTRY(engine_pooling),
    ENTRY(error_accessors),
    ENTRY(policy_setters),
    ENTRY(policy_invalid_values),
    ENTRY(run_hello),
    ENTRY(run_default_policy_and_exit_codes),
    ENTRY(run_stdin),
    ENTRY(run_cat_dirs),
    ENTRY(run_fs_read_only_and_writable),
    ENTRY(run_env),
    ENTRY(run_limits),
    ENTRY(run_trap_and_refusals),
    ENTRY(outcome_misuse),
    ENTRY(plugin_echo_functions),
    ENTRY(plugin_limits),
    ENTRY(plugin_config_name_and_bytes),
    ENTRY(plugin_build_errors),
    ENTRY(fresh_sandbox_vs_instance),
    ENTRY(instance_call_options),
    ENTRY(cancel_token_from_another_thread),
    ENTRY(plugin_wide_cancel),
    ENTRY(concurrent_plugin_calls),
    ENTRY(instance_busy_is_refused),
    ENTRY(host_function_with_user_data),
    ENTRY(host_function_not_granted),
    ENTRY(host_function_failures),
    ENTRY(host_function_user_data_freed_once),
    ENTRY(free_plugin_during_call),
    ENTRY(host_function_reentering_its_instance),
    ENTRY(audit_kept_and_streamed),
    ENTRY(audit_keep_limit),
    ENTRY(function_listing),
    ENTRY(component_plugin),
    ENTRY(handle_misuse),
    ENTRY(integrity_signatures_and_receipts),
    ENTRY(integrity_sha256_pins),
    ENTRY(buffers),
    ENTRY(soak_no_growth),
};

static bool selected(const char *name, int argc, char **argv) {
    if (argc <= 1) return true;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return true;
    return false;
}

/* `tests --canary`: leaks on purpose (a malloc'd block and a nanoproc handle), so that run.sh
 * can check that the leak checkers and the live-object check do catch leaks here. */
static int canary(void) {
    size_t at_start = nanoproc_live_objects();
    void *volatile block = malloc(64);
    memset(block, 1, 64);
    block = NULL;
    nanoproc_policy_builder *p = nanoproc_policy_builder_new();
    nanoproc_error *leaked = nanoproc_policy_builder_stdout(p, 9);
    (void)leaked;
    nanoproc_policy_builder_free(p);
    size_t at_end = nanoproc_live_objects();
    printf("canary: live objects %zu at start, %zu at the end\n", at_start, at_end);
    return at_end == at_start ? 0 : 1;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "--canary") == 0) return canary();
    const char *repo = getenv("NANOPROC_REPO");
    if (repo && *repo) g_repo = repo;
    const char *nopool = getenv("NANOPROC_TEST_NO_POOLING");
    g_pooling = !(nopool && strcmp(nopool, "1") == 0);

    size_t at_start = nanoproc_live_objects();
    if (!OK(nanoproc_engine_new(0, NULL, &g_plain)) ||
        !OK(nanoproc_engine_new(NANOPROC_ENGINE_FUEL, NULL, &g_fuel)) ||
        !OK(nanoproc_engine_new(NANOPROC_ENGINE_FUEL | (g_pooling ? NANOPROC_ENGINE_POOLING : 0),
                                NULL, &g_pool))) {
        printf("cannot make the engines\n0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0, skipped = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (!selected(tests[i].name, argc, argv)) continue;
        h_failures = 0;
        h_skipped = NULL;
        size_t live = nanoproc_live_objects();
        tests[i].run();
        size_t after = nanoproc_live_objects();
        if (after != live)
            h_fail(__FILE__, __LINE__, "live objects: %zu before the test, %zu after (leaked handles)",
                   live, after);
        if (h_failures == 0 && h_skipped) {
            skipped++;
            printf("skip    %s: %s\n", tests[i].name, h_skipped);
        } else if (h_failures == 0) {
            passed++;
            printf("ok      %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL    %s\n", tests[i].name);
        }
    }
    nanoproc_engine_free(g_plain);
    nanoproc_engine_free(g_fuel);
    nanoproc_engine_free(g_pool);
    size_t at_end = nanoproc_live_objects();
    if (at_end != at_start) {
        printf("FAIL    live objects: %zu at start, %zu at the end\n", at_start, at_end);
        failed++;
    }
    if (skipped) printf("(%d skipped)\n", skipped);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
