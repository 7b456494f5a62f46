package io.keyward.provider.aws;

import io.keyward.provider.KeyMisconfiguredException;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tenant's AWS KMS key, parsed and checked without touching the network: the key (or alias) ARN and the
 * options that say how keyward reaches it.
 *
 * <p>ARN syntax: https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#key-id-key-ARN and
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html. Key ids are UUIDs, or {@code mrk-}
 * plus 32 hex digits for multi-Region keys. Alias names: 1-256 characters of {@code [a-zA-Z0-9/_-]}, and the
 * {@code alias/aws/} prefix is reserved for AWS managed keys, whose policies cannot grant keyward anything
 * (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
 *
 * @param arn         the key URI as given
 * @param partition   {@code aws}, {@code aws-cn} or {@code aws-us-gov}
 * @param region      the key's Region, from the ARN; every call goes to that Region
 * @param account     the 12-digit account that owns the key
 * @param alias       true for an alias ARN (usable to encrypt; decrypt names the key itself)
 * @param roleArn     role to assume in the customer's account, or null for keyward's own credentials
 * @param externalId  ExternalId sent with AssumeRole (required with roleArn)
 * @param endpoint    KMS endpoint override (VPC endpoint, FIPS endpoint, test server), or null
 * @param stsEndpoint STS endpoint override, or null for the Region's STS endpoint
 */
record AwsKeyReference(String arn, String partition, String region, String account, boolean alias, String roleArn,
        String externalId, URI endpoint, URI stsEndpoint) {

    static final String ROLE_ARN = "roleArn";
    static final String EXTERNAL_ID = "externalId";
    static final String ENDPOINT = "endpoint";
    static final String STS_ENDPOINT = "stsEndpoint";
    static final Set<String> OPTIONS = Set.of(ROLE_ARN, EXTERNAL_ID, ENDPOINT, STS_ENDPOINT);

    private static final Pattern KMS_ARN = Pattern.compile(
            "^arn:(aws|aws-cn|aws-us-gov):kms:([^:]*):([^:]*):(key|alias)/(.*)$");
    private static final Pattern REGION = Pattern.compile("^[a-z]{2}(-gov)?-[a-z]+-\\d{1,2}$");
    private static final Pattern ACCOUNT = Pattern.compile("^\\d{12}$");
    private static final Pattern KEY_ID = Pattern.compile(
            "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$");
    private static final Pattern ALIAS_NAME = Pattern.compile("^[a-zA-Z0-9/_-]{1,250}$");
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
    private static final Pattern ROLE = Pattern.compile(
            "^arn:(aws|aws-cn|aws-us-gov):iam::(\\d{12}):role/([\\w+=,.@/-]{1,512})$");
    // https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html (ExternalId: 2-1224, [\w+=,.@:\/-]*)
    private static final Pattern EXTERNAL = Pattern.compile("^[\\w+=,.@:/-]{2,1224}$");

    /**
     * Parses {@code keyUri} and {@code options}.
     *
     * @param allowPlainHttp whether an {@code http://} endpoint may name a host other than the loopback
     *                       interface (only a test harness sets this)
     * @throws KeyMisconfiguredException saying exactly what is wrong
     */
    static AwsKeyReference parse(String keyUri, Map<String, String> options, boolean allowPlainHttp) {
        Map<String, String> opts = options == null ? Map.of() : options;
        if (keyUri == null || keyUri.isBlank()) {
            throw bad("the key URI is empty; expected a KMS key ARN such as "
                    + "'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'");
        }
        Matcher m = KMS_ARN.matcher(keyUri);
        if (!m.matches()) {
            throw bad("key URI '" + printable(keyUri) + "' is not a KMS key ARN; expected "
                    + "'arn:aws:kms:<region>:<account>:key/<key-id>' or 'arn:aws:kms:<region>:<account>:alias/<name>'");
        }
        String partition = m.group(1);
        String region = m.group(2);
        String account = m.group(3);
        boolean alias = m.group(4).equals("alias");
        String resource = m.group(5);
        if (!REGION.matcher(region).matches()) {
            throw bad("ARN region '" + printable(region) + "' is not a region");
        }
        if (!ACCOUNT.matcher(account).matches()) {
            throw bad("ARN account '" + printable(account) + "' is not a 12-digit AWS account id");
        }
        if (alias) {
            if (!ALIAS_NAME.matcher(resource).matches()) {
                throw bad("alias name '" + printable(resource) + "' is not valid (1-250 of a-z A-Z 0-9 / _ -)");
            }
            if (resource.startsWith("aws/")) {
                throw bad("alias 'alias/" + printable(resource) + "' names an AWS managed key, which cannot be shared "
                        + "with keyward; create a customer managed key");
            }
        } else if (!KEY_ID.matcher(resource).matches()) {
            throw bad("key id '" + printable(resource) + "' is not a KMS key id (a UUID, or mrk- and 32 hex digits)");
        }

        Set<String> unknown = new TreeSet<>(opts.keySet());
        unknown.removeAll(OPTIONS);
        if (!unknown.isEmpty()) {
            throw bad("unknown option(s) " + printable(unknown.toString()) + "; aws-kms accepts "
                    + new TreeSet<>(OPTIONS));
        }
        String roleArn = blankToNull(opts.get(ROLE_ARN));
        String externalId = blankToNull(opts.get(EXTERNAL_ID));
        if (roleArn != null) {
            Matcher r = ROLE.matcher(roleArn);
            if (!r.matches()) {
                throw bad("roleArn '" + printable(roleArn) + "' is not an IAM role ARN "
                        + "('arn:aws:iam::<account>:role/<name>')");
            }
            if (!r.group(1).equals(partition)) {
                throw bad("roleArn is in partition '" + r.group(1) + "' but the key is in '" + partition + "'");
            }
            if (externalId == null) {
                throw bad("externalId is required with roleArn");
            }
            if (!EXTERNAL.matcher(externalId).matches()) {
                throw bad("externalId must be 2-1224 characters of letters, digits and +=,.@:/-_");
            }
        } else if (externalId != null) {
            throw bad("externalId is only used with roleArn; set roleArn too or remove externalId");
        }
        URI endpoint = endpoint(ENDPOINT, opts.get(ENDPOINT), allowPlainHttp);
        URI stsEndpoint = endpoint(STS_ENDPOINT, opts.get(STS_ENDPOINT), allowPlainHttp);
        if (stsEndpoint != null && roleArn == null) {
            throw bad("stsEndpoint is only used with roleArn");
        }
        return new AwsKeyReference(keyUri, partition, region, account, alias, roleArn, externalId, endpoint,
                stsEndpoint);
    }

    /** The options keyward stores for this key, normalised (blank values dropped). */
    Map<String, String> options() {
        Map<String, String> out = new java.util.TreeMap<>();
        if (roleArn != null) {
            out.put(ROLE_ARN, roleArn);
            out.put(EXTERNAL_ID, externalId);
        }
        if (endpoint != null) {
            out.put(ENDPOINT, endpoint.toString());
        }
        if (stsEndpoint != null) {
            out.put(STS_ENDPOINT, stsEndpoint.toString());
        }
        return out;
    }

    /** True if {@code keyArn} is a key ARN in this reference's partition, Region and account. */
    boolean sameAccountKey(String keyArn) {
        Matcher m = KMS_ARN.matcher(keyArn);
        return m.matches() && m.group(1).equals(partition) && m.group(2).equals(region)
                && m.group(3).equals(account) && m.group(4).equals("key") && KEY_ID.matcher(m.group(5)).matches();
    }

    private static URI endpoint(String name, String value, boolean allowPlainHttp) {
        value = blankToNull(value);
        if (value == null) {
            return null;
        }
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw bad(name + " '" + printable(value) + "' is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
            throw bad(name + " '" + printable(value) + "' must be an absolute https:// URL with a host");
        }
        if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw bad(name + " must not carry user info, a query or a fragment");
        }
        // Plain http would let anyone on the path read key material in transit; only a loopback test server or
        // an explicitly allowed harness may use it.
        if (scheme.equals("http") && !allowPlainHttp && !loopback(uri.getHost())) {
            throw bad(name + " '" + printable(value) + "' must use https (http is only allowed for localhost)");
        }
        return uri;
    }

    private static boolean loopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        // Literal addresses only: no DNS lookup here (validate must not touch the network).
        if (h.matches("^[0-9.]+$") || h.contains(":")) {
            try {
                return InetAddress.getByName(h).isLoopbackAddress();
            } catch (java.net.UnknownHostException e) {
                return false;
            }
        }
        return false;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** Echoes user input in an error message without control characters and without unbounded length. */
    static String printable(String s) {
        return printable(s, 120);
    }

    static String printable(String s, int max) {
        String clean = s.replaceAll("\\p{Cntrl}", "?");
        return clean.length() > max ? clean.substring(0, max) + "..." : clean;
    }

    private static KeyMisconfiguredException bad(String message) {
        return new KeyMisconfiguredException(message);
    }

    @Override
    public String toString() {
        return "AwsKeyReference[" + arn + ", role=" + roleArn + ", endpoint=" + endpoint + "]";
    }
}
