// fuzz-legacy: A legacy MMM metrics file (current.json / history.json). See docs/FUZZING.md.
@_spi(Fuzzing) import MMMMetricsLegacy
import FuzzDriver

/// libFuzzer's entry: runs one input through the target's entry point (a crash is a finding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    LegacyFuzzEntryPoints.legacyImport(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

// SwiftPM links an executable with `main` aliased to `<module>_main` (the renamed entry point of
// top-level code); with `-parse-as-library` there is none, so this is it: libFuzzer's driver.
@_cdecl("fuzz_legacy_main")
func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv, fuzz)
}
