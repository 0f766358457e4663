import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which of descriptors 0...2 ``ProcessArguments/reserveStandardDescriptors()`` opened (bit n for n).
private let reservedDescriptors = Atomic<UInt8>(0)

/// The process's arguments and environment as the system handed them over, in bytes. Swift's
/// `CommandLine.arguments` (and so the argument parser) replaces bytes that are not UTF-8 with
/// U+FFFD: a log directory named in Latin-1 would silently become another directory.
package enum ProcessArguments {
    /// `argv[1...]`, each argument's bytes.
    package static var raw: [[UInt8]] {
        (1..<Int(CommandLine.argc)).map { index in
            CommandLine.unsafeArgv[index].map { Array(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
        }
    }

    /// Why the arguments (those before the first `--` when `stoppingAtTerminator`) or the
    /// environment variables `names` cannot be taken as text: the first that is not UTF-8, named
    /// by its position; nil when all are. A variable counts only where it would be read: not for
    /// `--version` or `--help`, and not `MMM_METRICS_DIR` when `--log` is given.
    package static func notText(stoppingAtTerminator: Bool, environment names: [String]) -> String? {
        let arguments = raw
        for (position, argument) in arguments.enumerated() {
            if stoppingAtTerminator, argument == Array("--".utf8) { break }
            if !isUTF8(argument) {
                return "argument \(position + 1) (\(String(decoding: argument, as: UTF8.self).debugDescription)) is not UTF-8 text: paths, sessions and names are read as text"
            }
        }
        let options = arguments.prefix { $0 != Array("--".utf8) }.map { String(decoding: $0, as: UTF8.self) }
        if options.contains(where: { ["--version", "--help", "-h"].contains($0) }) { return nil }
        // `--log ""` falls back to the variable, as no `--log` does.
        let givesLog = options.indices.contains { index in
            (options[index] == "--log" && index + 1 < options.count && !options[index + 1].isEmpty)
                || (options[index].hasPrefix("--log=") && options[index].count > 6)
        }
        for name in names where !(name == "MMM_METRICS_DIR" && givesLog) {
            guard let value = getenv(name) else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: value, count: strlen(value)))
            if !isUTF8(bytes) { return "$\(name) (\(String(decoding: bytes, as: UTF8.self).debugDescription)) is not UTF-8 text" }
        }
        return nil
    }

    /// Opens the root directory on standard input, output or error where the process was started
    /// with them closed (`2>&-`): otherwise the next file opened (a log's lock, a segment) would take
    /// the number, and a message meant for standard error would be written into it. A directory
    /// reads and writes as a closed descriptor does (an error), also when opened again by name
    /// (`/dev/stdout`: `/dev/null` there was opened again writable, and output vanished). Call
    /// first thing.
    package static func reserveStandardDescriptors() {
        for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
            // The lowest free number is this one: 0...2 are taken in order.
            let opened = open("/", O_RDONLY | O_DIRECTORY)
            if opened == descriptor {
                reservedDescriptors.bitwiseOr(UInt8(1) << UInt8(descriptor), ordering: .relaxed)
            } else if opened >= 0 {
                close(opened)
            }
        }
    }

    /// The standard descriptors that were closed when the process started (and hold the root
    /// directory since ``reserveStandardDescriptors()``): a child should get them closed.
    package static var reservedStandardDescriptors: [Int32] {
        let bits = reservedDescriptors.load(ordering: .relaxed)
        return (0...2).filter { bits & (UInt8(1) << UInt8($0)) != 0 }
    }

    private static func isUTF8(_ bytes: [UInt8]) -> Bool {
        Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
    }
}
