package io.keyward.helm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each values file under src/test/resources/helm/bad is refused, by values.schema.json or by a template's
 * {@code fail}, before anything would be applied; the message names the offending value. The file's
 * {@code # rejected: …} lines say what the message must contain.
 */
class ChartRejectsBadValuesTest {
    private static final Path BAD = Path.of("src/test/resources/helm/bad");

    static Stream<String> badValues() throws IOException {
        try (Stream<Path> files = Files.list(BAD)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void badValuesAreRefusedNamingTheValue(String file) throws IOException {
        Path values = BAD.resolve(file);
        List<String> expected = Files.readAllLines(values).stream().filter(l -> l.startsWith("# rejected: "))
                .map(l -> l.substring("# rejected: ".length()).strip()).toList();
        assertFalse(expected.isEmpty(), file + " says what its refusal must name (# rejected: …)");
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> Chart.template(values),
                file + " rendered, but must be refused");
        String message = refused.getMessage();
        for (String fragment : expected) {
            assertTrue(message.contains(fragment), file + ": the refusal should name `" + fragment + "`: " + message);
        }
    }
}
