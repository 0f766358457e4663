package import Foundation

/// The mmm-analyze binary built beside the test bundle.
package func analyzerPath() -> String {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmm-analyze").path
}

/// Runs mmm-analyze; returns exit status, stdout, stderr.
@discardableResult
/// Runs mmm-analyze; returns exit status, stdout, stderr. The process is waited for on a thread of its
/// own, so a test waiting for it does not hold one of the cooperative pool's few threads.
package func runAnalyzer(
    _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, directory: String? = nil
) async throws -> (status: Int32, out: String, err: String) {
    try await offThePool { try runAnalyzerBlocking(arguments, stdin: stdin, environment: environment, directory: directory) }
}

/// Runs mmm-analyze and waits for it on the calling thread.
package func runAnalyzerBlocking(_ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, directory: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: analyzerPath())
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe()
    let err = Pipe()
    let input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    if let stdin { writeToChild(input.fileHandleForWriting, stdin) }
    try input.fileHandleForWriting.close()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// Runs blocking or CPU-heavy test work on a thread of its own, so it does not hold one of the few
/// threads of Swift's cooperative pool (two on a two-core machine) that other tests' tasks, such as
/// a collector's writing task, need to make progress.
package func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Writes to a child's input pipe, whose reader may be gone (a child that stops, or exits on an
/// error, before reading all of it): the write ends with EPIPE instead of SIGPIPE killing the whole
/// test process. SIGPIPE is blocked on this thread only, so children keep the default disposition.
package func writeToChild(_ handle: FileHandle, _ data: Data) {
    #if os(Linux)
    var pipeSignal = sigset_t(), previous = sigset_t()
    sigemptyset(&pipeSignal)
    sigaddset(&pipeSignal, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
    defer {
        // A broken pipe left SIGPIPE pending on this thread: take it before unblocking.
        var pending = sigset_t()
        sigpending(&pending)
        if sigismember(&pending, SIGPIPE) == 1 {
            var now = timespec()
            _ = sigtimedwait(&pipeSignal, nil, &now)
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }
    #else
    _ = fcntl(handle.fileDescriptor, F_SETNOSIGPIPE, 1)
    #endif
    try? handle.write(contentsOf: data)
}
