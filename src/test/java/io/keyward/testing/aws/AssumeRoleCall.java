package io.keyward.testing.aws;

/** One AssumeRole the test server received: what it was asked (with the ExternalId) and whether it allowed it. */
public record AssumeRoleCall(String roleArn, String externalId, String sessionName, String callerArn,
        boolean allowed) {
}
