package io.keyward.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeyProviderFactory;
import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Terraform snippets under deploy/terraform/ are documentation (never applied here), so this test holds what
 * can be held without a cloud: each folder is complete, its {@code keyward_attach_request} output names the
 * provider its README names, its provider is pinned, and the attach request its README shows is one keyward
 * accepts: fed through that provider's own {@link KeyProvider#validate} (the key URI and option parser, no network).
 */
class TerraformExamplesTest {
    static final Path TERRAFORM = Path.of("deploy/terraform");
    static final ProviderSettings SETTINGS = new ProviderSettings(Duration.ofSeconds(2), 0, Duration.ofSeconds(5));
    static final Pattern ATTACH_REQUEST = Pattern.compile("<!-- attach-request -->\\s*```json\\s*(\\{.*?})\\s*```",
            Pattern.DOTALL);

    static KeyProvider provider(String id) {
        for (KeyProviderFactory f : ServiceLoader.load(KeyProviderFactory.class)) {
            if (f.id().equals(id)) {
                return f.create(SETTINGS);
            }
        }
        throw new AssertionError("no provider '" + id + "' on the class path");
    }

    static JsonNode attachRequest(Path folder) throws IOException {
        Matcher m = ATTACH_REQUEST.matcher(Files.readString(folder.resolve("README.md")));
        assertTrue(m.find(), folder + "/README.md has no '<!-- attach-request -->' json block");
        return new ObjectMapper().readTree(m.group(1));
    }

    static Map<String, String> options(JsonNode request) {
        Map<String, String> out = new TreeMap<>();
        request.path("options").fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"aws, aws, aws-kms", "gcp, google, gcp-kms", "azure, azurerm, azure-keyvault",
            "vault, vault, vault-transit"})
    void eachFolderIsCompletePinnedAndOutputsTheRequestForItsProvider(String folder, String tfProvider,
            String providerId) throws IOException {
        Path dir = TERRAFORM.resolve(folder);
        for (String file : new String[] {"main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md"}) {
            assertTrue(Files.isRegularFile(dir.resolve(file)), dir.resolve(file) + " is missing");
        }
        String versions = Files.readString(dir.resolve("versions.tf"));
        assertTrue(Pattern.compile("source\\s*=\\s*\"hashicorp/" + tfProvider + "\"\\s*\\n\\s*version\\s*=\\s*\"~> \\d+")
                .matcher(versions).find(), folder + ": provider hashicorp/" + tfProvider + " is not pinned with ~>");
        String outputs = Files.readString(dir.resolve("outputs.tf"));
        assertTrue(outputs.contains("output \"keyward_attach_request\""), folder + ": no keyward_attach_request output");
        assertTrue(outputs.contains("provider = \"" + providerId + "\""), folder + ": the output is not for " + providerId);
        assertEquals(providerId, attachRequest(dir).path("provider").asText(), folder + ": README request's provider");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"aws", "gcp", "azure", "vault"})
    void theAttachRequestEachReadmeShowsIsAcceptedByItsProvidersParser(String folder) throws IOException {
        JsonNode request = attachRequest(TERRAFORM.resolve(folder));
        KeyProvider provider = provider(request.path("provider").asText());
        String keyUri = request.path("keyUri").asText();
        Map<String, String> options = options(request);

        KeySpec spec = provider.validate(keyUri, options);
        assertEquals(keyUri, spec.keyUri(), folder + ": keyward would store another key URI than Terraform outputs");

        // The parser is not a pass-through: the same request with a broken key URI is refused.
        assertThrows(KeyMisconfiguredException.class, () -> provider.validate(keyUri + "!", options));
    }
}
