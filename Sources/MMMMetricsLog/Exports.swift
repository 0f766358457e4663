// `import MMMMetricsLog` brings the format's public types too (`LogError`, `SegmentDamage`,
// `DecodedBlock`, `EventLimits`), as NIOPosix re-exports NIOCore.
@_exported public import MMMMetricsLogFormat
