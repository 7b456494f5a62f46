package io.keyward.testing.pkcs11;

import io.keyward.provider.KeySpec;
import io.keyward.provider.ProviderSettings;
import io.keyward.provider.pkcs11.Pkcs11Provider;
import io.keyward.testing.contract.ProviderFixture;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The contract's view of a PKCS#11 HSM: SoftHSM2 tokens, one per key, changed through the customer's console
 * instance of the library. "Disable" clears {@code CKA_ENCRYPT}/{@code CKA_DECRYPT}, "delete" destroys the key
 * object, "deny access" removes the token (keyward can no longer reach the key at all); "the network" is
 * {@link FaultyCryptoki} in front of the real module.
 */
public final class Pkcs11Fixture implements ProviderFixture {
    private static final AtomicInteger KEYS = new AtomicInteger();

    private final SoftHsm hsm = SoftHsm.get();
    private final FaultyCryptoki faults;
    private final Pkcs11Provider provider;
    private final Duration deadline;
    private final Map<String, SoftHsm.Token> tokenOf = new ConcurrentHashMap<>();

    public Pkcs11Fixture(ProviderSettings base) {
        this.faults = new FaultyCryptoki(hsm.keywardModule());
        this.deadline = base.deadline();
        this.provider = new Pkcs11Provider(settings(base), path -> faults);
    }

    /** keyward's settings with SoftHSM2's library allowed. */
    public static ProviderSettings settings(ProviderSettings base) {
        return new ProviderSettings(base.attemptTimeout(), base.maxRetries(), base.deadline(),
                Map.of("modules", SoftHsm.LIBRARY, "max-sessions", "4", "session-idle-timeout", "PT1S",
                        "token-tenants.*", "*"));
    }

    @Override
    public Pkcs11Provider provider() {
        return provider;
    }

    public FaultyCryptoki faults() {
        return faults;
    }

    public SoftHsm hsm() {
        return hsm;
    }

    public SoftHsm.Token token(KeySpec key) {
        return tokenOf.get(key.keyUri());
    }

    public static String label(KeySpec key) {
        return key.keyUri().substring(key.keyUri().indexOf("object=") + "object=".length());
    }

    @Override
    public KeySpec newKey() {
        return newKey(false);
    }

    /** A key on a token of its own; {@code extractable} makes the kind of key keyward must refuse. */
    public KeySpec newKey(boolean extractable) {
        SoftHsm.Token token = hsm.newToken();
        String label = "kek-" + KEYS.incrementAndGet();
        hsm.createKey(token, label, extractable);
        String uri = "pkcs11:token=" + token.label() + ";object=" + label;
        tokenOf.put(uri, token);
        return provider.validate(uri, Map.of("module", SoftHsm.LIBRARY, "pin", token.pin()));
    }

    @Override
    public void disable(KeySpec key) {
        hsm.setUsable(token(key), label(key), false);
    }

    @Override
    public void enable(KeySpec key) {
        hsm.setUsable(token(key), label(key), true);
    }

    @Override
    public void delete(KeySpec key) {
        hsm.destroyKey(token(key), label(key));
    }

    @Override
    public void denyAccess(KeySpec key) {
        hsm.removeToken(token(key));
    }

    @Override
    public Network network() {
        return new Network(() -> faults.down(true), () -> faults.down(false), faults::delay, faults::busyNext,
                faults::operations);
    }

    @Override
    public Duration deadline() {
        return deadline;
    }

    @Override
    public List<Map.Entry<String, Map<String, String>>> malformedKeys() {
        Map<String, String> ok = Map.of("module", SoftHsm.LIBRARY, "pin", "1234");
        return List.of(
                Map.entry("pkcs11:object=kek", ok),
                Map.entry("pkcs11:token=t", ok),
                Map.entry("pkcs11:token=t;object=kek?pin-value=1234", ok),
                Map.entry("pkcs11:token=t;object=kek;id=%01", ok),
                Map.entry("pkcs11:token=t;object=kek;type=private", ok),
                Map.entry("pkcs11:token=t;object=k%G1", ok),
                Map.entry("pkcs11:token=t;token=u;object=kek", ok),
                Map.entry("aws-kms:token=t;object=kek", ok),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", "/tmp/evil.so", "pin", "1234")),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY)),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY, "pin", "1", "pinEnv",
                        "KEYWARD_PKCS11_PIN_A")),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY, "pinEnv", "HOME")),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY, "pinEnv",
                        "KEYWARD_PKCS11_PIN_OTHER")),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY, "pinFile", "/etc/shadow")),
                Map.entry("pkcs11:token=t;object=kek", Map.of("module", SoftHsm.LIBRARY, "pin", "1", "slot", "0")));
    }

    @Override
    public void close() {
        provider.close();
    }
}
