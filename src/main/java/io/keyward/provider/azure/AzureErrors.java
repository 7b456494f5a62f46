package io.keyward.provider.azure;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.identity.CredentialUnavailableException;
import com.microsoft.aad.msal4j.MsalException;
import com.microsoft.aad.msal4j.MsalServiceException;
import io.keyward.provider.KeyMisconfiguredException;
import io.keyward.provider.KeyRevokedException;
import io.keyward.provider.KeyUnavailableException;
import io.keyward.provider.ProviderException;
import io.keyward.provider.WrappedKeyInvalidException;
import reactor.core.Exceptions;

import javax.net.ssl.SSLException;
import java.io.IOException;
import java.security.cert.CertificateException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what the Azure SDK throws into the SPI's four outcomes. Messages are written here, never copied from the
 * SDK (whose messages carry response bodies and request URLs): only the status, Key Vault's error code and the
 * key name are shown.
 *
 * <p>Key Vault answers, from https://learn.microsoft.com/en-us/azure/key-vault/general/rest-error-codes and the
 * operation pages (https://learn.microsoft.com/en-us/rest/api/keyvault/keys/unwrap-key/unwrap-key):
 * <table>
 * <tr><td>400 BadParameter on unwrapKey</td><td>the ciphertext does not decrypt under this key: wrapped key invalid</td></tr>
 * <tr><td>400 on get/wrapKey</td><td>bad algorithm for the key type, bad request: misconfigured</td></tr>
 * <tr><td>401 after the token was sent</td><td>the vault does not accept keyward's identity (other tenant,
 * deleted principal): revoked</td></tr>
 * <tr><td>403 Forbidden</td><td>access policy / RBAC assignment removed, or "Operation ... is not allowed on a
 * disabled key" (inner code KeyDisabled): revoked</td></tr>
 * <tr><td>404 KeyNotFound</td><td>deleted (soft-deleted or purged): revoked</td></tr>
 * <tr><td>408, 409, 429, 5xx</td><td>retried, then unavailable (throttling:
 * https://learn.microsoft.com/en-us/azure/key-vault/general/overview-throttling)</td></tr>
 * </table>
 * Microsoft Entra ID token errors (https://learn.microsoft.com/en-us/entra/identity-platform/reference-error-codes):
 * {@code invalid_client} (secret deleted or expired, AADSTS7000215/7000222), {@code unauthorized_client}
 * (application deleted, AADSTS700016) and other 4xx mean the customer withdrew the credential: revoked; 429/5xx and
 * network failures: unavailable.
 */
final class AzureErrors {
    private static final Pattern ERROR_CODE = Pattern.compile("\"code\"\\s*:\\s*\"([A-Za-z0-9_.]{1,60})\"");

    private AzureErrors() {
    }

    /** The operation being attempted, which decides what a 400 means. */
    enum Op { GET, WRAP, UNWRAP }

    static ProviderException translate(Throwable thrown, Op op, AzureKeyId key) {
        Throwable e = Exceptions.unwrap(thrown);
        if (e instanceof ProviderException p) {
            return p;
        }
        String what = "key '" + key.name() + "' at " + key.host();
        if (e instanceof TimeoutException) {
            return new KeyUnavailableException("Azure Key Vault did not answer within the deadline (" + what + ")");
        }
        if (e instanceof HttpResponseException h && h.getResponse() != null) {
            return fromStatus(h.getResponse().getStatusCode(), errorCodes(h), op, what);
        }
        if (e instanceof CredentialUnavailableException) {
            return new KeyMisconfiguredException("no Azure identity is available to keyward (workload identity or "
                    + "managed identity); configure one, or give tenantId, clientId and clientSecret");
        }
        if (e instanceof ClientAuthenticationException || has(e, MsalException.class)) {
            // azure-identity reports token failures as ClientAuthenticationException, or lets MSAL's through.
            return fromTokenFailure(e, what);
        }
        if (has(e, CertificateException.class)) {
            return new KeyUnavailableException("TLS certificate of " + key.host() + " is not trusted");
        }
        if (has(e, SSLException.class)) {
            return new KeyUnavailableException("TLS handshake with " + key.host() + " failed");
        }
        if (has(e, TimeoutException.class)) {
            return new KeyUnavailableException("Azure Key Vault timed out (" + what + ")");
        }
        if (has(e, IOException.class)) {
            return new KeyUnavailableException("Azure Key Vault is unreachable (connection refused or reset) (" + what + ")");
        }
        if (String.valueOf(e.getMessage()).contains("challenge resource")) {
            // KeyVaultCredentialPolicy: the 401 challenge named a resource outside the vault's domain.
            return new KeyMisconfiguredException("the vault's authentication challenge names another domain than "
                    + key.host() + "; is this a Key Vault?");
        }
        return new KeyUnavailableException("Azure Key Vault call failed unexpectedly (" + e.getClass().getSimpleName()
                + ", " + what + ")");
    }

    static ProviderException fromStatus(int status, String codes, Op op, String what) {
        String detail = "HTTP " + status + (codes.isEmpty() ? "" : " " + codes);
        if (status == 400) {
            if (op == Op.UNWRAP) {
                return new WrappedKeyInvalidException("Key Vault could not unwrap the wrapped key with " + what
                        + " (" + detail + ")");
            }
            return new KeyMisconfiguredException("Key Vault refused the request for " + what + " (" + detail
                    + "); is it an RSA or oct-HSM key that allows wrapKey and unwrapKey?");
        }
        if (status == 401) {
            return new KeyRevokedException("Key Vault does not accept keyward's identity for " + what + " ("
                    + detail + ")");
        }
        if (status == 403) {
            return new KeyRevokedException("Key Vault denied access to " + what + " (" + detail
                    + "): key disabled or keyward's permission removed");
        }
        if (status == 404) {
            return new KeyRevokedException(what + " was not found (" + detail + "): deleted?");
        }
        if (status == 408 || status == 409 || status == 429 || status >= 500) {
            return new KeyUnavailableException("Key Vault is unavailable for " + what + " (" + detail
                    + (status == 429 ? ", throttled" : "") + ")");
        }
        return new KeyMisconfiguredException("Key Vault answered " + detail + " for " + what);
    }

    private static ProviderException fromTokenFailure(Throwable e, String what) {
        MsalServiceException msal = find(e, MsalServiceException.class);
        if (msal != null) {
            int status = msal.statusCode();
            String code = msal.errorCode() == null ? "" : " " + AzureKeyId.safe(msal.errorCode());
            if (status == 429 || status >= 500) {
                return new KeyUnavailableException("Microsoft Entra ID is unavailable (HTTP " + status + code + ")");
            }
            return new KeyRevokedException("Microsoft Entra ID refused keyward's credentials for " + what
                    + " (HTTP " + status + code + "): client secret or application removed?");
        }
        if (has(e, CertificateException.class) || has(e, SSLException.class)) {
            return new KeyUnavailableException("TLS handshake with Microsoft Entra ID failed (certificate not "
                    + "trusted?) (" + what + ")");
        }
        if (JitteredBackoff.isNetworkFailure(e)) {
            return new KeyUnavailableException("Microsoft Entra ID is unreachable (" + what + ")");
        }
        if (String.valueOf(e.getMessage()).contains("not configured to acquire tokens for tenant")) {
            return new KeyMisconfiguredException("the vault of " + what + " belongs to another Entra tenant than "
                    + "option tenantId");
        }
        return new KeyMisconfiguredException("could not get a token from Microsoft Entra ID for " + what);
    }

    /** Key Vault's {@code error.code} and {@code innererror.code}, e.g. {@code Forbidden/KeyDisabled}. */
    private static String errorCodes(HttpResponseException h) {
        Matcher m = ERROR_CODE.matcher(String.valueOf(h.getMessage()));
        StringBuilder out = new StringBuilder();
        while (m.find() && out.length() < 120) {
            out.append(out.length() == 0 ? "" : "/").append(m.group(1));
        }
        return out.toString();
    }

    static int status(Throwable thrown) {
        Throwable e = Exceptions.unwrap(thrown);
        return e instanceof HttpResponseException h && h.getResponse() != null ? h.getResponse().getStatusCode() : 0;
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        return find(e, type) != null;
    }

    private static <T extends Throwable> T find(Throwable e, Class<T> type) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }
}
