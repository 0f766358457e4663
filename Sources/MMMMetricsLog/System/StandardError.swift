#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Lines for standard error, written with `write(2)` and never trapping: Foundation's
/// `FileHandle.standardError.write` stops the process (SIGILL) when the write fails (`2>&-`,
/// `2>/dev/full`, a reader that went away), which turned a message into a crash and lost what
/// the tool was about to record.
package enum StandardError {
    /// Writes `text` as far as standard error takes it; a failure is dropped (there is nowhere left
    /// to report it).
    package static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                #if canImport(Glibc)
                let written = Glibc.write(2, base + offset, bytes.count - offset)
                #else
                let written = Darwin.write(2, base + offset, bytes.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
