import Foundation

/// How big a campaign runs: the short form in CI, the long form when `MMM_CAMPAIGN=long`
/// (Tools/reliability.sh sets it). `MMM_CAMPAIGN_SEED` replaces every campaign's seed, to rerun
/// the one a failure names.
enum CampaignScale {
    static var isLong: Bool { ProcessInfo.processInfo.environment["MMM_CAMPAIGN"] == "long" }

    /// `short` trials in CI, `long` ones in the long form.
    static func trials(short: Int, long: Int) -> Int { isLong ? long : short }

    /// The campaign's seed: `MMM_CAMPAIGN_SEED` when set, else `fixed` (so CI runs the same trials every time).
    static func seed(_ fixed: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["MMM_CAMPAIGN_SEED"].flatMap { UInt64($0) } ?? fixed
    }
}
