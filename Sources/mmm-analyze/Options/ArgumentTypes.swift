// The libraries' option types as command-line arguments: each enum's raw values are the words the
// commands accept, and ArgumentParser lists them in --help and in errors.
public import ArgumentParser
public import MMMMetricsAnalysis
public import MMMMetricsLog
public import MMMMetricsRemote

extension ReportFormat: ExpressibleByArgument {}
extension TableFormat: ExpressibleByArgument {}
extension LogDurability: ExpressibleByArgument {}
extension RemoteFormat: ExpressibleByArgument {}
