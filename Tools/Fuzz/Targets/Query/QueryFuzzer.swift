// fuzz-query: Query language text. See docs/FUZZING.md.
@_spi(Fuzzing) import MMMMetricsAnalysis

/// libFuzzer's entry: runs one input through the target's entry point (a crash is a finding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    AnalysisFuzzEntryPoints.query(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM links an executable with `main` aliased to `<module>_main` (the renamed entry point of
// top-level code); with `-parse-as-library` there is none, so this is it: libFuzzer's driver.
@_cdecl("fuzz_query_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, fuzz)
}

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
