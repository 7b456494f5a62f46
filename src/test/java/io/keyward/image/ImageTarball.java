package io.keyward.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * An image in the `docker save` format Jib hands to `docker load` (manifest.json, the config, one tar per layer,
 * gzipped or not), read the way a container runtime reads it: layers applied in manifest order.
 */
final class ImageTarball {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One file system entry of a layer; {@code path} is relative to the image root, without "./" or a trailing "/". */
    record Entry(String path, char type, int uid, int gid, int mode, String linkTarget) {
        boolean isDirectory() {
            return type == 'd';
        }

        boolean isRegularFile() {
            return type == 'f';
        }

        String name() {
            int slash = path.lastIndexOf('/');
            return slash < 0 ? path : path.substring(slash + 1);
        }
    }

    private final Path tarball;
    private final JsonNode manifest;
    private final JsonNode config;
    private final List<String> layerNames = new ArrayList<>();

    private ImageTarball(Path tarball, JsonNode manifest, JsonNode config) {
        this.tarball = tarball;
        this.manifest = manifest;
        this.config = config;
        manifest.get("Layers").forEach(l -> layerNames.add(l.asText()));
    }

    static ImageTarball open(Path tarball) throws IOException {
        JsonNode manifest = JSON.readTree(member(tarball, "manifest.json")).get(0);
        JsonNode config = JSON.readTree(member(tarball, manifest.get("Config").asText()));
        return new ImageTarball(tarball, manifest, config);
    }

    /** The image configuration (OCI image config / Docker v1 image JSON). */
    JsonNode config() {
        return config;
    }

    List<String> repoTags() {
        List<String> tags = new ArrayList<>();
        manifest.path("RepoTags").forEach(t -> tags.add(t.asText()));
        return tags;
    }

    /** The entries of every layer, later layers over earlier ones, keyed by path. */
    Map<String, Entry> fileSystem() throws IOException {
        Map<String, Entry> fs = new HashMap<>();
        for (String layer : layerNames) {
            try (TarArchiveInputStream in = layerStream(layer)) {
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    Entry entry = toEntry(e);
                    if (!entry.path().isEmpty()) {
                        fs.put(entry.path(), entry);
                    }
                }
            }
        }
        return fs;
    }

    /** The content of one regular file of the image, from the last layer that holds it. */
    byte[] read(String path) throws IOException {
        byte[] found = null;
        for (String layer : layerNames) {
            try (TarArchiveInputStream in = layerStream(layer)) {
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    if (normalise(e.getName()).equals(path) && e.isFile()) {
                        found = in.readAllBytes();
                    }
                }
            }
        }
        if (found == null) {
            throw new IOException(path + " is not a file in the image");
        }
        return found;
    }

    /** Unpacks the layers into {@code root} with their owners and modes, as a runtime would (needs root). */
    void extractTo(Path root) throws IOException {
        Files.createDirectories(root);
        List<Entry> directories = new ArrayList<>();
        for (String layer : layerNames) {
            try (TarArchiveInputStream in = layerStream(layer)) {
                TarArchiveEntry e;
                while ((e = in.getNextEntry()) != null) {
                    Entry entry = toEntry(e);
                    if (entry.path().isEmpty() || entry.name().startsWith(".wh.")) {
                        continue;
                    }
                    Path target = root.resolve(entry.path());
                    if (!target.normalize().startsWith(root)) {
                        throw new IOException("layer entry escapes the image root: " + e.getName());
                    }
                    Files.createDirectories(target.getParent());
                    switch (entry.type()) {
                        case 'd' -> {
                            Files.createDirectories(target);
                            directories.add(entry);
                        }
                        case 'l' -> {
                            Files.deleteIfExists(target);
                            Files.createSymbolicLink(target, Path.of(entry.linkTarget()));
                        }
                        case 'h' -> Files.copy(root.resolve(normalise(entry.linkTarget())), target,
                                StandardCopyOption.REPLACE_EXISTING);
                        case 'f' -> Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                        default -> throw new IOException("unexpected entry type in a layer: " + e.getName());
                    }
                    if (entry.type() != 'l') {
                        Files.setAttribute(target, "unix:mode", entry.mode(), LinkOption.NOFOLLOW_LINKS);
                    }
                    Files.setAttribute(target, "unix:uid", entry.uid(), LinkOption.NOFOLLOW_LINKS);
                    Files.setAttribute(target, "unix:gid", entry.gid(), LinkOption.NOFOLLOW_LINKS);
                }
            }
        }
        // A file written into a read-only directory (mode 555) would have failed; directory modes go on last.
        for (Entry dir : directories) {
            Files.setAttribute(root.resolve(dir.path()), "unix:mode", dir.mode());
        }
    }

    private TarArchiveInputStream layerStream(String layer) throws IOException {
        InputStream raw = new BufferedInputStream(memberStream(tarball, layer));
        raw.mark(2);
        int b1 = raw.read();
        int b2 = raw.read();
        raw.reset();
        boolean gzip = b1 == 0x1f && b2 == 0x8b;
        return new TarArchiveInputStream(gzip ? new GZIPInputStream(raw, 1 << 16) : raw);
    }

    private static Entry toEntry(TarArchiveEntry e) {
        char type = e.isSymbolicLink() ? 'l' : e.isLink() ? 'h' : e.isDirectory() ? 'd' : e.isFile() ? 'f' : '?';
        return new Entry(normalise(e.getName()), type, (int) e.getLongUserId(), (int) e.getLongGroupId(),
                e.getMode() & 07777, e.getLinkName());
    }

    private static String normalise(String name) {
        String n = name;
        while (n.startsWith("./") || n.startsWith("/")) {
            n = n.startsWith("./") ? n.substring(2) : n.substring(1);
        }
        while (n.endsWith("/")) {
            n = n.substring(0, n.length() - 1);
        }
        return n.equals(".") ? "" : n;
    }

    private static byte[] member(Path tarball, String name) throws IOException {
        try (InputStream in = memberStream(tarball, name)) {
            return in.readAllBytes();
        }
    }

    /** A stream over one member of the outer (uncompressed) tarball; closing it closes the file. */
    private static InputStream memberStream(Path tarball, String name) throws IOException {
        TarArchiveInputStream outer = new TarArchiveInputStream(
                new BufferedInputStream(Files.newInputStream(tarball), 1 << 16));
        TarArchiveEntry e;
        while ((e = outer.getNextEntry()) != null) {
            if (normalise(e.getName()).equals(normalise(name))) {
                return outer;
            }
        }
        outer.close();
        throw new IOException(name + " not found in " + tarball);
    }
}
