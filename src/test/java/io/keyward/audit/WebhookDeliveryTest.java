package io.keyward.audit;

import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The signature receivers check, and the bounds of the retry backoff. */
class WebhookDeliveryTest {

    @Test
    void signatureIsHexHmacSha256OfTheBodyUnderTheSecret() {
        // Expected value from Python: hmac.new(secret, body, hashlib.sha256).hexdigest()
        assertEquals("sha256=88a0ba2c3ecf3291e5c064b06a689eedd524f9d7632b40dcf0ecd72c07edcbc3",
                WebhookDelivery.signature("0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8),
                        "{\"id\":\"e1\"}".getBytes(StandardCharsets.UTF_8)));
    }

    @RepeatedTest(20)
    void backoffDoublesWithJitterAndIsCapped() {
        for (int attempt = 1; attempt < WebhookDelivery.MAX_ATTEMPTS + 30; attempt++) {
            long ceiling = Math.min(WebhookDelivery.MAX_DELAY_MS, WebhookDelivery.BASE_DELAY_MS << Math.min(attempt - 1, 20));
            long d = WebhookDelivery.delayMs(attempt);
            int a = attempt;
            assertTrue(d >= ceiling / 2 && d <= ceiling, () -> "attempt " + a + ": " + d + " in [" + ceiling / 2
                    + ", " + ceiling + "]");
        }
    }

    @Test
    void allRetriesTogetherStayBounded() {
        long worst = 0;
        for (int attempt = 1; attempt < WebhookDelivery.MAX_ATTEMPTS; attempt++) {
            worst += Math.min(WebhookDelivery.MAX_DELAY_MS, WebhookDelivery.BASE_DELAY_MS << (attempt - 1));
        }
        assertEquals(7_750, worst, "documented as about 8 s of waiting before an event is given up");
    }
}
