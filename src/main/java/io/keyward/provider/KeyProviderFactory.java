package io.keyward.provider;

/**
 * How a provider package plugs itself in: one implementation per package, listed in
 * {@code META-INF/services/io.keyward.provider.KeyProviderFactory}. Keyward finds them with
 * {@link java.util.ServiceLoader}, so adding a provider never touches the core.
 */
public interface KeyProviderFactory {
    /** The provider id, as in {@link KeyProvider#id()}. */
    String id();

    KeyProvider create(ProviderSettings settings);
}
