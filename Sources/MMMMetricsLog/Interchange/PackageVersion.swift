/// The version of this package, as `mmm-analyze --version` prints it. Defined here once; raised
/// with each release.
public enum PackageVersion {
    /// The version, `MAJOR.MINOR.PATCH` (semantic versioning).
    public static let current = "0.12.0"
}
