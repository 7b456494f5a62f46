package io.keyward.audit;

/**
 * The outcome of recomputing one chain.
 *
 * @param verified        chained events whose position, link and hash checked out before the first broken link
 * @param intact          no broken link
 * @param firstBrokenLink where verification stopped; null when intact
 * @param unchained       events written before chaining began (migration V3): not verifiable, not broken
 */
public record ChainVerification(long verified, boolean intact, BrokenLink firstBrokenLink, long unchained) {

    /**
     * The first event that does not fit the chain.
     *
     * @param seq      the row's sequence number; null when the damage is past the last row (removed tail)
     * @param chainSeq the position the event claims, or the position that is missing
     * @param id       the event id; null when no row is there to name
     * @param reason   one of the reasons documented in docs/explanation/audit-trail.md
     */
    public record BrokenLink(Long seq, Long chainSeq, String id, String reason) {
    }
}
