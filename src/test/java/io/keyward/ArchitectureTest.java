package io.keyward;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Holds the package arrows of STYLE.md ("Layout"): api → tenant, keys, auth, audit → envelope, provider. The
 * envelope codec and the provider SPI know nothing of ours above them, a provider package knows only the SPI,
 * and the framework stays out of the two packages meant to be plain Java. A wrong import fails here.
 */
class ArchitectureTest {
    private static final String[] FRAMEWORK = {"io.quarkus..", "jakarta.enterprise..", "jakarta.inject..",
            "jakarta.ws.rs..", "jakarta.annotation..", "io.vertx..", "org.jboss.resteasy..", "io.smallrye..",
            "org.eclipse.microprofile..", "io.micrometer..", "io.agroal.."};

    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.keyward");
    }

    private static void check(ArchRule rule) {
        rule.check(main);
    }

    @Test
    void theImportSeesTheCodeItGuards() {
        // Without this a wrong package name would make every rule pass vacuously.
        for (String c : new String[] {"io.keyward.envelope.EnvelopeCodec", "io.keyward.provider.KeyProvider",
                "io.keyward.provider.local.LocalKeyProvider", "io.keyward.error.ErrorCode",
                "io.keyward.api.Problems", "io.keyward.keys.CryptoService", "io.keyward.tenant.TenantService",
                "io.keyward.auth.ApiKeyService", "io.keyward.audit.AuditLog"}) {
            assertTrue(main.contain(c), c);
        }
    }

    @Test
    void envelopeImportsNothingElseOfOurs() {
        check(noClasses().that().resideInAPackage("io.keyward.envelope..")
                .should().dependOnClassesThat(resideInAPackage("io.keyward..")
                        .and(not(resideInAPackage("io.keyward.envelope.."))))
                .because("the envelope format must be decodable with Tink alone (offline recovery)"));
    }

    @Test
    void providerSpiImportsNothingElseOfOurs() {
        check(noClasses().that().resideInAPackage("io.keyward.provider")
                .should().dependOnClassesThat(resideInAPackage("io.keyward..")
                        .and(not(resideInAPackage("io.keyward.provider"))))
                .because("the SPI is the bottom layer; providers build against it alone"));
    }

    @Test
    void providerPackagesImportOnlyTheSpiAndThemselves() {
        check(noClasses().that().resideInAPackage("io.keyward.provider..")
                .should().dependOnClassesThat(resideInAPackage("io.keyward..")
                        .and(not(resideInAPackage("io.keyward.provider.."))))
                .because("a provider package imports only the SPI and its own SDK"));
    }

    @Test
    void providerPackagesShareNothingWithEachOther() {
        check(slices().matching("io.keyward.provider.(*)..").should().notDependOnEachOther()
                .because("one package per provider, nothing shared between them"));
    }

    @Test
    void errorImportsNothingOfOurs() {
        check(noClasses().that().resideInAPackage("io.keyward.error..")
                .should().dependOnClassesThat(resideInAPackage("io.keyward..")
                        .and(not(resideInAPackage("io.keyward.error..")))));
    }

    @Test
    void servicesNeverImportTheApi() {
        check(noClasses().that().resideInAnyPackage("io.keyward.tenant..", "io.keyward.keys..", "io.keyward.auth..",
                "io.keyward.audit..")
                .should().dependOnClassesThat(resideInAPackage("io.keyward.api.."))
                .because("nothing below the API knows about HTTP"));
    }

    @Test
    void nothingOutsideTheApiImportsTheApi() {
        check(noClasses().that().resideOutsideOfPackage("io.keyward.api..")
                .should().dependOnClassesThat(resideInAPackage("io.keyward.api..")));
    }

    @Test
    void envelopeAndProvidersUseNoFramework() {
        check(noClasses().that().resideInAnyPackage("io.keyward.envelope..", "io.keyward.provider..")
                .should().dependOnClassesThat(resideInAnyPackage(FRAMEWORK))
                .because("envelope and providers are plain Java + Tink (+ the provider's SDK)"));
    }

    @Test
    void servicesUseNoJaxRs() {
        check(noClasses().that().resideInAnyPackage("io.keyward.tenant..", "io.keyward.keys..", "io.keyward.auth..",
                "io.keyward.audit..", "io.keyward.envelope..", "io.keyward.provider..", "io.keyward.error..")
                .should().dependOnClassesThat(resideInAnyPackage("jakarta.ws.rs..", "org.jboss.resteasy..",
                        "io.vertx.ext.web.."))
                .because("nothing below the API knows about HTTP"));
    }

    @Test
    void onlyTheCompositionRootAndTheLocalKmsApiKnowAProvider() {
        // DESIGN.md §1: "nothing above the SPI knows about any provider". ProviderSetup wires the built-in one;
        // LocalKmsResource is the stand-in KMS's own admin API; seal.KmsRoot builds the local provider when the seal
        // root key is held by it (the seal root is built before, and without, the key service). Everyone else goes
        // through the SPI.
        check(classes().that().resideInAPackage("io.keyward.provider.(*)..")
                .should().onlyHaveDependentClassesThat(resideInAPackage("io.keyward.provider..")
                        .or(resideInAPackage("io.keyward.keys").and(
                                com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName("ProviderSetup")))
                        .or(resideInAPackage("io.keyward.api").and(
                                com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName("LocalKmsResource")))
                        .or(resideInAPackage("io.keyward.seal").and(
                                com.tngtech.archunit.core.domain.JavaClass.Predicates.simpleName("KmsRoot")))));
    }
}
