package io.keyward.api;

import io.keyward.testing.Api;
import io.keyward.testing.FaultyKeyProvider;
import io.keyward.testing.FaultyKeyProvider.Mode;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Map;

import static io.keyward.testing.Api.admin;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.everyItem;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What callers see when the customer's key manager fails (DESIGN.md §5), through a provider that wraps for real
 * and fails on demand: unavailable → 503 KEY_UNAVAILABLE with Retry-After, revoked → 403 KEY_REVOKED until a
 * passing restore, a provider bug → never a 500.
 */
@QuarkusTest
class ProviderFailureTest {
    private static final String RETRY_AFTER_SECONDS = "5"; // keyward.health.retry-after default

    @Inject
    FaultyKeyProvider faulty;

    private String tenant;
    private String kek;
    private String keyId;

    private void tenantOnFaultyKey() {
        tenant = Api.unique("faulty");
        kek = Api.unique("fk");
        keyId = Api.tenantWithFaultyKey(tenant, kek);
    }

    @Test
    void unavailableProviderOnColdCacheIs503WithRetryAfterThenRecovers() {
        tenantOnFaultyKey();
        faulty.set(kek, Mode.UNAVAILABLE);
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()), 503, "KEY_UNAVAILABLE")
                .header("Retry-After", equalTo(RETRY_AFTER_SECONDS));
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("KEY_UNAVAILABLE"))
                .body("keys[0].health", equalTo("UNAVAILABLE"));

        faulty.set(kek, Mode.OK);
        Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()).statusCode(200);
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("ACTIVE"))
                .body("keys[0].health", equalTo("AVAILABLE"));
    }

    @Test
    void datakeyAndUnwrapAlwaysAskTheProviderSoTheyFailFastWithRetryAfter() {
        tenantOnFaultyKey();
        String wrapped = Api.datakey(Api.ADMIN_TOKEN, tenant, Map.of()).statusCode(200).extract().path("wrappedKey");
        faulty.set(kek, Mode.UNAVAILABLE);
        Api.problem(Api.datakey(Api.ADMIN_TOKEN, tenant, Map.of()), 503, "KEY_UNAVAILABLE")
                .header("Retry-After", equalTo(RETRY_AFTER_SECONDS));
        Api.problem(Api.unwrapDatakey(Api.ADMIN_TOKEN, tenant, wrapped, Map.of()), 503, "KEY_UNAVAILABLE")
                .header("Retry-After", equalTo(RETRY_AFTER_SECONDS));
    }

    @Test
    void cachedDataKeyKeepsServingWhileTheProviderIsUnavailable() {
        tenantOnFaultyKey();
        byte[] pt = {4, 2};
        Api.encrypt(Api.ADMIN_TOKEN, tenant, pt, Map.of()).statusCode(200);
        faulty.set(kek, Mode.UNAVAILABLE);
        String ct = Api.encrypt(Api.ADMIN_TOKEN, tenant, pt, Map.of()).statusCode(200).extract().path("ciphertext");
        assertArrayEquals(pt, Api.unb64(Api.decrypt(Api.ADMIN_TOKEN, tenant, ct, Map.of()).statusCode(200)
                .extract().path("plaintext")));
    }

    @Test
    void misconfiguredKeyIs503NotA500() {
        tenantOnFaultyKey();
        faulty.set(kek, Mode.MISCONFIGURED);
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()), 503, "KEY_UNAVAILABLE")
                .header("Retry-After", equalTo(RETRY_AFTER_SECONDS));
    }

    @Test
    void providerBugIs503NotA500() {
        tenantOnFaultyKey();
        faulty.set(kek, Mode.BUG);
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()), 503, "KEY_UNAVAILABLE")
                .header("Retry-After", equalTo(RETRY_AFTER_SECONDS))
                .body("detail", org.hamcrest.Matchers.not(org.hamcrest.Matchers.containsString("test-faulty bug")));
    }

    @Test
    void providerRevocationIsStickyUntilARestorePassesItsCheck() {
        tenantOnFaultyKey();
        String ct = Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {9}, Map.of()).statusCode(200)
                .extract().path("ciphertext");
        faulty.set(kek, Mode.REVOKED);
        Api.problem(Api.datakey(Api.ADMIN_TOKEN, tenant, Map.of()), 403, "KEY_REVOKED");
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("REVOKED"))
                .body("keys[0].health", equalTo("REVOKED"));
        // The revocation purged the cached DEKs: nothing is served from cache any more.
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()), 403, "KEY_REVOKED");
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, tenant, ct, Map.of()), 403, "KEY_REVOKED");

        // The key works again at the provider, but keyward does not trust that until :restore checks it.
        faulty.set(kek, Mode.OK);
        Api.problem(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()), 403, "KEY_REVOKED");
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
        Api.decrypt(Api.ADMIN_TOKEN, tenant, ct, Map.of()).statusCode(200);
    }

    @Test
    void restoreIs409WhileTheProviderIsUnavailable() {
        tenantOnFaultyKey();
        admin().post("/v1/tenants/" + tenant + ":revoke").then().statusCode(200);
        faulty.set(kek, Mode.UNAVAILABLE);
        Api.problem(admin().post("/v1/tenants/" + tenant + ":restore").then(), 409, "KEY_CHECK_FAILED");
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("REVOKED"));
        faulty.set(kek, Mode.OK);
        admin().post("/v1/tenants/" + tenant + ":restore").then().statusCode(200).body("state", equalTo("ACTIVE"));
    }

    @ParameterizedTest
    @EnumSource(value = Mode.class, names = {"UNAVAILABLE", "REVOKED", "MISCONFIGURED", "BUG"})
    void attachIs422KeyCheckFailedWhateverTheFailure(Mode mode) {
        String t = Api.unique("attach-" + mode.name().toLowerCase());
        String k = Api.unique("fk");
        Api.tenant(t);
        faulty.set(k, mode);
        Api.problem(Api.attach(t, FaultyKeyProvider.ID, FaultyKeyProvider.SCHEME + k), 422, "KEY_CHECK_FAILED");
        admin().get("/v1/tenants/" + t).then().body("state", equalTo("NO_KEY")).body("keys", hasSize(0));
    }

    @Test
    void checkReportsTheProvidersVerdictAndUpdatesTheTenantState() {
        tenantOnFaultyKey();
        String check = "/v1/tenants/" + tenant + "/keys/" + keyId + ":check";
        faulty.set(kek, Mode.UNAVAILABLE);
        admin().post(check).then().statusCode(200).body("status", equalTo("UNAVAILABLE"));
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("KEY_UNAVAILABLE"));

        faulty.set(kek, Mode.MISCONFIGURED);
        admin().post(check).then().statusCode(200).body("status", equalTo("UNAVAILABLE"))
                .body("detail", startsWith("misconfigured"));

        faulty.set(kek, Mode.OK);
        admin().post(check).then().statusCode(200).body("status", equalTo("AVAILABLE"));
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("ACTIVE"));

        faulty.set(kek, Mode.REVOKED);
        admin().post(check).then().statusCode(200).body("status", equalTo("REVOKED"));
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("REVOKED"));
    }

    @Test
    void batchItemsReportKeyUnavailableOneByOne() {
        tenantOnFaultyKey();
        faulty.set(kek, Mode.UNAVAILABLE);
        admin().body("{\"items\":[{\"id\":\"a\",\"plaintext\":\"AQ==\"},{\"id\":\"b\",\"plaintext\":\"Ag==\"}]}")
                .post("/v1/tenants/" + tenant + "/encrypt:batch").then().statusCode(200)
                .body("items.id", equalTo(java.util.List.of("a", "b")))
                .body("items.error.code", everyItem(equalTo("KEY_UNAVAILABLE")));
    }

    @Test
    void theProviderSeesOneWrapPerDataKeyNotOnePerMessage() {
        tenantOnFaultyKey();
        Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {0}, Map.of()).statusCode(200);
        int after = faulty.dataKeyCalls(kek);
        for (int i = 0; i < 25; i++) {
            String ct = Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {(byte) i}, Map.of()).statusCode(200)
                    .extract().path("ciphertext");
            Api.decrypt(Api.ADMIN_TOKEN, tenant, ct, Map.of()).statusCode(200);
        }
        assertEquals(after, faulty.dataKeyCalls(kek), "cached DEK: no provider call per message");
    }

    @Test
    void tamperedWrappedDekIsInvalidCiphertextAndNeverRevokesTheTenant() {
        // Anyone who can submit a ciphertext must not be able to cut a tenant off (WrappedKeyInvalidException).
        tenantOnFaultyKey();
        byte[] ct = Api.unb64(Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1, 2, 3}, Map.of()).statusCode(200)
                .extract().path("ciphertext"));
        int wrappedStart = 5 + ct[4] + 2;
        ct[wrappedStart + 20] ^= 0x01;
        Api.problem(Api.decrypt(Api.ADMIN_TOKEN, tenant, Api.b64(ct), Map.of()), 400, "INVALID_CIPHERTEXT");
        admin().get("/v1/tenants/" + tenant).then().body("state", equalTo("ACTIVE"));
        Api.encrypt(Api.ADMIN_TOKEN, tenant, new byte[] {1}, Map.of()).statusCode(200);
    }
}
