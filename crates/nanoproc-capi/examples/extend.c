/*
 * extend: a C host extends itself with a WebAssembly module. It copies a file through the
 * `copy_file` plugin (examples/plugins/bin/copy_file.wasm), which may read one directory
 * (mounted read-only at /in) and write another (writable, at /out), and runs on a fuel
 * budget. Then it shows what the sandbox refuses: a write into /in, and a budget too small
 * for the job.
 *
 *   extend [REPO]     REPO: the nanoproc repository (default `.`), for the plugin's path
 *
 * Build: see Makefile (cc extend.c -I include -L DIR -lnanoproc_capi). Exit 0 when every
 * step behaved as described.
 */
#define _GNU_SOURCE
#include "nanoproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

/* Prints an error as a host would log it, and frees it. */
static void report(const char *what, nanoproc_error *e) {
    printf("%s: %s (exit code %d)\n", what, nanoproc_error_message(e), nanoproc_error_exit_code(e));
    nanoproc_error_free(e);
}

/* Fails the example unless `e` is NULL. */
static int ok(const char *what, nanoproc_error *e) {
    if (e == NULL) return 1;
    report(what, e);
    failures++;
    return 0;
}

/* Calls copy_file with the JSON `request`; returns the error (NULL: success, output printed). */
static nanoproc_error *copy(const nanoproc_plugin *plugin, const char *request,
                            const nanoproc_call_options *options) {
    nanoproc_buf out = {0};
    nanoproc_error *e = nanoproc_plugin_call(plugin, "copy_file", strlen("copy_file"),
                                             (const uint8_t *)request, strlen(request), options,
                                             &out);
    if (e == NULL) printf("copy_file %s -> %.*s\n", request, (int)out.len, (const char *)out.data);
    nanoproc_buf_free(&out);
    return e;
}

int main(int argc, char **argv) {
    const char *repo = argc > 1 ? argv[1] : ".";
    char plugin_path[4096], in_dir[256], out_dir[256], path[512];

    /* The host's directories: in/a.txt to copy, out/ to receive it. */
    char base[] = "/tmp/nanoproc-extend-XXXXXX";
    if (!mkdtemp(base)) return perror("mkdtemp"), 1;
    snprintf(in_dir, sizeof in_dir, "%s/in", base);
    snprintf(out_dir, sizeof out_dir, "%s/out", base);
    mkdir(in_dir, 0755);
    mkdir(out_dir, 0755);
    snprintf(path, sizeof path, "%s/a.txt", in_dir);
    FILE *f = fopen(path, "w");
    if (!f) return perror(path), 1;
    fputs("a file the host wants copied, through a sandbox\n", f);
    fclose(f);

    /* One engine per process; FUEL lets policies and calls set instruction budgets. */
    nanoproc_engine *engine = NULL;
    if (!ok("engine", nanoproc_engine_new(NANOPROC_ENGINE_FUEL, NULL, &engine))) return 1;

    /* The policy: /in read-only, /out writable, 30,000 units of fuel per call (a copy needs
     * about 8,000, whatever the file size: the bytes move in WASI calls). */
    nanoproc_policy_builder *policy = nanoproc_policy_builder_new();
    ok("dir /in", nanoproc_policy_builder_dir(policy, in_dir, "/in", false));
    ok("dir /out", nanoproc_policy_builder_dir(policy, out_dir, "/out", true));
    ok("fuel", nanoproc_policy_builder_fuel(policy, 30000));
    ok("max memory", nanoproc_policy_builder_max_memory(policy, 32 << 20));

    snprintf(plugin_path, sizeof plugin_path, "%s/examples/plugins/bin/copy_file.wasm", repo);
    nanoproc_plugin_builder *builder = NULL;
    nanoproc_plugin *plugin = NULL;
    ok("builder", nanoproc_plugin_builder_new(engine, &builder));
    ok("wasm", nanoproc_plugin_builder_wasm_file(builder, plugin_path));
    ok("policy", nanoproc_plugin_builder_policy(builder, policy));
    nanoproc_policy_builder_free(policy); /* the plugin keeps its own copy */
    if (!ok("build", nanoproc_plugin_builder_build(builder, &plugin))) return 1;

    /* 1. The copy: read from the read-only mount, write to the writable one. */
    ok("copy", copy(plugin, "{\"from\":\"/in/a.txt\",\"to\":\"/out/b.txt\"}", NULL));
    snprintf(path, sizeof path, "%s/b.txt", out_dir);
    f = fopen(path, "r");
    char line[256] = "";
    if (f) {
        if (!fgets(line, sizeof line, f)) line[0] = 0;
        fclose(f);
    }
    printf("host sees out/b.txt: %s", line);
    if (strcmp(line, "a file the host wants copied, through a sandbox\n") != 0) failures++;

    /* 2. Writing into the read-only mount is refused (the plugin reports the I/O error). */
    nanoproc_error *e = copy(plugin, "{\"from\":\"/in/a.txt\",\"to\":\"/in/c.txt\"}", NULL);
    if (e == NULL || nanoproc_error_get_kind(e) != NANOPROC_ERROR_PLUGIN) failures++;
    if (e) report("write into /in", e);
    snprintf(path, sizeof path, "%s/c.txt", in_dir);
    if (access(path, F_OK) == 0) failures++, printf("in/c.txt exists!\n");

    /* 3. A budget too small for the job: this call gets 5,000 units of fuel. */
    nanoproc_call_options small = {0};
    small.fuel = 5000;
    e = copy(plugin, "{\"from\":\"/in/a.txt\",\"to\":\"/out/d.txt\"}", &small);
    if (e == NULL || nanoproc_error_get_kind(e) != NANOPROC_ERROR_FUEL_LIMIT) failures++;
    if (e) report("copy on 5,000 fuel", e);

    nanoproc_plugin_free(plugin);
    nanoproc_engine_free(engine);

    /* Clean up the host's directories. */
    const char *names[] = {"in/a.txt", "out/b.txt", "out/d.txt", "in", "out", ""};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", base, names[i]);
        remove(path);
    }
    if (nanoproc_live_objects() != 0) failures++, printf("handles left: %zu\n", nanoproc_live_objects());
    printf("extend: %s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}
