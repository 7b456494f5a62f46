package io.keyward.image;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Runs an unpacked image the way a locked-down Kubernetes pod would, with no container engine: its own mount and
 * PID namespaces (util-linux {@code unshare}), the image root bind-mounted read-only, writable only /tmp and the
 * data directory (both host directories, so the test can see what was written), /proc and four device nodes,
 * the image's working directory, and the image's user with no supplementary groups and no capabilities. The
 * network is the host's, so the test reaches the port directly. Needs root (CAP_SYS_ADMIN) on the host.
 */
final class ReadOnlyRoot implements AutoCloseable {
    /** Runs inside the new namespaces, on the host's side: mounts, then chroot + setuid into the entrypoint. */
    private static final String SETUP = """
            set -eu
            R=$1; DATA=$2; TMP=$3; DATADIR=$4; WD=$5; UID_=$6; GID_=$7; shift 7
            mount --bind "$R" "$R"
            mount -o remount,bind,ro "$R"
            mount --bind "$TMP" "$R/tmp"
            mount --bind "$DATA" "$R$DATADIR"
            mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
            mount -t tmpfs -o nosuid,noexec,mode=0755 tmpfs "$R/dev"
            for d in null zero random urandom; do touch "$R/dev/$d"; mount --bind "/dev/$d" "$R/dev/$d"; done
            exec unshare --root="$R" --wd="$WD" --setgid="$GID_" --setuid="$UID_" -- "$@"
            """;

    private final Process process;

    private ReadOnlyRoot(Process process) {
        this.process = process;
    }

    /** Whether this host lets the test make namespaces and mounts (root, unshare present, not forbidden). */
    static boolean available() {
        try {
            Process p = new ProcessBuilder("unshare", "--mount", "--pid", "--fork", "true")
                    .redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Starts {@code entrypoint} (found on the image's PATH, inside the image) with exactly {@code env} as its
     * environment; its output goes to {@code log}.
     */
    static ReadOnlyRoot start(Path root, Path data, Path tmp, String dataDirInImage, String workingDir,
                              String user, List<String> entrypoint, Map<String, String> env, Path log)
            throws IOException {
        String[] ids = user.split(":");
        List<String> command = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--fork", "--kill-child",
                "sh", "-c", SETUP, "keyward-image", root.toString(), data.toString(), tmp.toString(),
                dataDirInImage, workingDir, ids[0], ids.length > 1 ? ids[1] : ids[0]));
        command.addAll(entrypoint);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        // The setup script runs host tools (mount, unshare) before the chroot; the image's PATH has the usual dirs.
        pb.environment().putIfAbsent("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return new ReadOnlyRoot(pb.start());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The entrypoint's process (the PID 1 of the namespace, seen from the host), once it has exec'd. */
    Optional<ProcessHandle> entrypointProcess(String commandLineContains) {
        return process.descendants()
                .filter(p -> readProc(p.pid(), "cmdline").replace('\0', ' ').contains(commandLineContains))
                .findFirst();
    }

    /** A line of /proc/PID/status, e.g. "Uid:" -> "65532 65532 65532 65532". */
    static String status(long pid, String field) {
        return readProc(pid, "status").lines().filter(l -> l.startsWith(field))
                .map(l -> l.substring(field.length()).trim().replaceAll("\\s+", " "))
                .findFirst().orElse("");
    }

    private static String readProc(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return "";
        }
    }

    /** SIGTERM to the entrypoint (a graceful stop), then SIGKILL to whatever is left; the namespaces go with it. */
    @Override
    public void close() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroy);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
