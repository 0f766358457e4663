import Foundation

/// How big a campaign runs: the short form in CI, the long form when `MMM_CAMPAIGN=long`
/// (Tools/reliability.sh sets it).
enum CampaignScale {
    static var isLong: Bool { ProcessInfo.processInfo.environment["MMM_CAMPAIGN"] == "long" }

    /// `short` trials in CI, `long` ones in the long form.
    static func trials(short: Int, long: Int) -> Int { isLong ? long : short }
}
