#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// by its position; nil when all are.
    package static func notText(stoppingAtTerminator: Bool, environment names: [String]) -> String? {
        for (position, argument) in raw.enumerated() {
            if stoppingAtTerminator, argument == Array("--".utf8) { break }
            if !isUTF8(argument) {
                return "argument \(position + 1) (\(String(decoding: argument, as: UTF8.self).debugDescription)) is not UTF-8 text: paths, sessions and names are read as text"
            }
        }
        for name in names {
            guard let value = getenv(name) else { continue }
            let bytes = Array(UnsafeRawBufferPointer(start: value, count: strlen(value)))
            if !isUTF8(bytes) { return "$\(name) (\(String(decoding: bytes, as: UTF8.self).debugDescription)) is not UTF-8 text" }
        }
        return nil
    }

    private static func isUTF8(_ bytes: [UInt8]) -> Bool {
        Array(String(decoding: bytes, as: UTF8.self).utf8) == bytes
    }
}
