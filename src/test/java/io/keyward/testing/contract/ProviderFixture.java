package io.keyward.testing.contract;

import io.keyward.provider.KeyProvider;
import io.keyward.provider.KeySpec;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A provider under test and a handle on the protocol-level test server behind it, through which a test acts
 * as the customer (disable, delete, remove access) or as the network (down, slow, throttling). Implementations
 * drive the real SDK against a server speaking the provider's real wire protocol.
 */
public interface ProviderFixture extends AutoCloseable {

    /** The provider, configured against the test server with the fixture's {@link #deadline()}. */
    KeyProvider provider();

    /** Creates a new enabled key at the server that keyward may use; returns the spec keyward would store. */
    KeySpec newKey();

    /** The key URI and options a tenant would send to {@code POST /v1/tenants/{t}/keys} for {@code key}. */
    default Map<String, String> apiOptions(KeySpec key) {
        return key.options();
    }

    void disable(KeySpec key);

    void enable(KeySpec key);

    /** Schedules deletion / destroys the key material, whichever the provider offers. */
    void delete(KeySpec key);

    /** Removes keyward's permission on the key (policy, grant, role binding), leaving the key enabled. */
    void denyAccess(KeySpec key);

    /** False for in-process providers (the local stand-in) that have no network to fail. */
    default boolean hasNetwork() {
        return true;
    }

    /**
     * How a test acts as the network in front of the fixture's server: stop and start it, slow it down, make it
     * throttle, count what reached it. Each fixture names its server's own methods here once.
     */
    record Network(Runnable stop, Runnable start, java.util.function.Consumer<Duration> delay,
            java.util.function.IntConsumer throttle, java.util.function.IntSupplier requests) {
    }

    /** The fixture's network controls; only fixtures without a network ({@link #hasNetwork()} false) lack one. */
    default Network network() {
        throw new UnsupportedOperationException("this fixture has no network to act on");
    }

    /** Stops answering (connection refused). */
    default void stopServer() {
        network().stop().run();
    }

    default void startServer() {
        network().start().run();
    }

    /** Delays every answer by {@code delay}; {@link Duration#ZERO} restores normal speed. */
    default void delayResponses(Duration delay) {
        network().delay().accept(delay);
    }

    /** Answers the next {@code n} requests with the provider's throttling error. */
    default void throttleNext(int n) {
        network().throttle().accept(n);
    }

    /** Requests the server has received so far (to prove retries happened). */
    default int requestCount() {
        return network().requests().getAsInt();
    }

    /** The per-call deadline the provider was configured with. */
    Duration deadline();

    /** Key URIs that {@link KeyProvider#validate} must refuse, each with the options to send along. */
    List<Map.Entry<String, Map<String, String>>> malformedKeys();

    @Override
    void close();
}
