// What every fuzz target shares: handing control to libFuzzer's driver.

/// The C signature of `LLVMFuzzerTestOneInput`: one input, its length; returns 0.
public typealias FuzzInputHandler = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Runs libFuzzer's driver (the same one its own `main` runs) over the process's arguments
/// (corpus folders, `-flags`), calling `handler` per input; returns the driver's exit status.
public func runLibFuzzer(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ handler: FuzzInputHandler) -> CInt {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv, handler)
}

@_silgen_name("LLVMFuzzerRunDriver")
private func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzInputHandler
) -> CInt
