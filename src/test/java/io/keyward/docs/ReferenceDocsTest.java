package io.keyward.docs;

import io.keyward.config.KeywardConfig;
import io.keyward.error.ErrorCode;
import io.smallrye.config.WithDefault;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reference docs name what the code has: every {@code keyward.*} property of {@link KeywardConfig}, with its
 * default, is a row of docs/reference/configuration.md, and every {@link ErrorCode} is in error-codes.md.
 */
class ReferenceDocsTest {
    /** The provider groups that share one set of settings, written {@code keyward.providers.<p>.*} in the doc. */
    private static final List<String> REMOTE = List.of("aws", "gcp", "azure", "vault", "pkcs11", "xks");

    private record Property(String name, String defaultValue) {
    }

    private static String kebab(String method) {
        return method.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static void collect(Class<?> group, String prefix, List<Property> out) {
        for (Method m : group.getMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
                continue;
            }
            String name = prefix + "." + kebab(m.getName());
            Class<?> type = m.getReturnType();
            if (type.isInterface() && type.getName().startsWith("io.keyward.") && type.isMemberClass()) {
                collect(type, name, out);
            } else if (Map.class.isAssignableFrom(type)) {
                out.add(new Property(name + ".", null));
            } else {
                WithDefault d = m.getAnnotation(WithDefault.class);
                out.add(new Property(name, d == null ? null : d.value()));
            }
        }
    }

    private static String doc(String name) throws IOException {
        return Files.readString(Path.of("docs/reference", name));
    }

    /** The doc's table row for a property: its own, or the shared {@code keyward.providers.<p>.*} one. */
    private static Optional<String> row(String doc, String property) {
        List<String> names = new ArrayList<>(List.of(property));
        for (String p : REMOTE) {
            String group = "keyward.providers." + p + ".";
            if (property.startsWith(group)) {
                names.add("keyward.providers.<p>." + property.substring(group.length()));
            }
        }
        return doc.lines().filter(l -> l.startsWith("|"))
                .filter(l -> names.stream().anyMatch(n -> l.contains("`" + n) && (n.endsWith(".")
                        || l.contains("`" + n + "`") || l.contains("`" + n + "<")))).findFirst();
    }

    @Test
    void everyPropertyIsDocumentedWithItsDefault() throws IOException {
        List<Property> properties = new ArrayList<>();
        collect(KeywardConfig.class, "keyward", properties);
        collect(io.keyward.auth.OidcConfig.class, "keyward.oidc", properties);
        assertTrue(properties.size() > 20, "the walk found the properties: " + properties);
        String doc = doc("configuration.md");
        List<String> missing = new ArrayList<>();
        for (Property p : properties) {
            Optional<String> row = row(doc, p.name());
            if (row.isEmpty()) {
                missing.add(p.name() + " (no row)");
            } else if (p.defaultValue() != null && !row.get().contains("`" + p.defaultValue() + "`")
                    && !row.get().contains("`" + p.defaultValue() + " ")) {
                missing.add(p.name() + " (default `" + p.defaultValue() + "` not in its row)");
            }
        }
        assertTrue(missing.isEmpty(), "configuration.md is missing: " + missing);
    }

    @Test
    void everyErrorCodeIsDocumented() throws IOException {
        String doc = doc("error-codes.md");
        List<String> missing = Arrays.stream(ErrorCode.values()).map(Enum::name)
                .filter(c -> !doc.contains("`" + c + "`")).collect(Collectors.toList());
        assertTrue(missing.isEmpty(), "error-codes.md is missing: " + missing);
    }
}
