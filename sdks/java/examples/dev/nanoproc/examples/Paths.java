package dev.nanoproc.examples;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the repository's prebuilt example plugins from the working directory (or -Dnanoproc.repo). */
final class Paths {
    private Paths() {}

    static Path plugin(String name) {
        Path rel = Path.of("examples", "plugins", "bin", name);
        String repo = System.getProperty("nanoproc.repo");
        if (repo != null && Files.isRegularFile(Path.of(repo).resolve(rel))) {
            return Path.of(repo).resolve(rel).normalize();
        }
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(rel))) {
                return d.resolve(rel);
            }
        }
        return rel;
    }
}
