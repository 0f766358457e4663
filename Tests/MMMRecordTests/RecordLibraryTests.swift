import Foundation
import MMMMetricsCore
import MMMMetricsLog
@testable import MMMMetricsRecord
import MMMMetricsTestSupport
import Testing

@Suite("MMMMetricsRecord: the library behind mmm-record", .serialized)  // one test swaps this process's standard error
struct RecordLibraryTests {
    @Test("the recorder waits for a held lock, then lands; past its timeout it throws locked")
    func recorderLock() throws {
        let temporary = TemporaryDirectory()
        let holder = try SessionLogWriter(root: temporary.root, session: "s")
        let impatient = SessionRecorder(root: temporary.root, session: "s", lockTimeout: .milliseconds(50))
        #expect(throws: LogError.self) { try impatient.append([.counter(name: "c", value: 1)]) }
        let held = LockedState<SessionLogWriter?>(holder)
        let release = Thread { Thread.sleep(forTimeInterval: 0.7); try? held.withLock { $0 }?.close() }
        release.start()
        let patient = SessionRecorder(root: temporary.root, session: "s", lockTimeout: .seconds(20))
        let appended = try patient.append([.counter(name: "c", value: 1), .counter(name: "c", value: 2, timestamp: MetricTimestamp(nanosecondsSinceEpoch: 5))])
        // Each attempt waits up to 250 ms for the lock itself: released after 700 ms, at least one attempt failed.
        #expect(appended.waited > .milliseconds(500))
        #expect(appended.holder == getpid())
        let stored = try readSession(temporary.root, "s")
        #expect(stored.map(\.counterValue) == [1, 2])
        #expect(stored[0].timestamp != nil && stored[1].timestamp == MetricTimestamp(nanosecondsSinceEpoch: 5))
        #expect(try patient.latest("c", tag: "k", "v") == nil)
        #expect(try SessionRecorder(root: temporary.root, session: "other").latest("c", tag: "k", "v") == nil)
    }

    @Test("commands resolve as a shell resolves them; stderr's tail keeps whole lines")
    func runner() throws {
        let temporary = TemporaryDirectory()
        try Data().write(to: URL(fileURLWithPath: temporary.path + "/plain"))
        #expect(CommandRunner.resolve("sh", path: "/nonexistent:/bin:/usr/bin") == .found(Array("/bin/sh".utf8)))
        #expect(CommandRunner.resolve("plain", path: temporary.path) == .notExecutable(Array((temporary.path + "/plain").utf8)))
        #expect(CommandRunner.resolve("nothing", path: temporary.path) == .notFound)
        #expect(CommandRunner.resolve(temporary.path, path: "") == .notExecutable(Array(temporary.path.utf8)))
        #expect(CommandRunner.run([]).status == 127)
        #expect(CommandRunner.run([temporary.path + "/plain"]).status == 126)
        let failed = CommandRunner.run(["sh", "-c", "echo one >&2; echo two >&2; exit 7"])
        #expect(failed.status == 7)
        #expect(failed.stderrTail == "one\ntwo\n")
        // Paths that cannot be looked at say why, as a shell does; a directory in PATH is passed over.
        let loop = temporary.path + "/loop"
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        #expect(CommandRunner.resolve(loop, path: "") == .unreachable(Array(loop.utf8), ELOOP))
        #expect(CommandRunner.resolve(temporary.path + "/plain/x", path: "") == .unreachable(Array((temporary.path + "/plain/x").utf8), ENOTDIR))
        try FileManager.default.createDirectory(atPath: temporary.path + "/bin/sh", withIntermediateDirectories: true)
        #expect(CommandRunner.resolve("sh", path: temporary.path + "/bin:/bin") == .found(Array("/bin/sh".utf8)))
        #expect(CommandRunner.resolve("sh", path: temporary.path + "/bin") == .notFound)
        #expect(CommandRunner.run([loop]).startFailure == "\(loop): Too many levels of symbolic links")
        #expect(CommandRunner.run([loop]).status == 126)
        #expect(CommandRunner.run(["./no-such-file"]).startFailure == "./no-such-file: No such file or directory")
        #expect(CommandRunner.run(["no-such-command-anywhere"]).startFailure == "no-such-command-anywhere: command not found")
        // Bytes that are not UTF-8 reach the command as they are; a NUL ends an argument, as in C.
        let bytes = CommandRunner.run(rawArguments: [Array("sh".utf8), Array("-c".utf8), Array(#"test "$1" = "$(printf 'f\351')""#.utf8),
                                                     Array("x".utf8), [0x66, 0xE9, 0, 0x41]])
        #expect(bytes.status == 0)
        // A signal's death: status 128 + N and the signal; an exit with that status has none.
        let killed = CommandRunner.run(["sh", "-c", "kill -TERM $$"])
        #expect(killed.status == 143 && killed.signal == SIGTERM)
        let exited = CommandRunner.run(["sh", "-c", "exit 143"])
        #expect(exited.status == 143 && exited.signal == nil)
        // A binary without #! is refused, not run by sh; a text file without it is.
        let binary = temporary.path + "/foreign"
        try Data([0x7F, 0x45, 0x4C, 0x46, 0, 10] + Array("exit 5\n".utf8)).write(to: URL(fileURLWithPath: binary))
        let script = temporary.path + "/script"
        try Data("exit 5\n".utf8).write(to: URL(fileURLWithPath: script))
        for path in [binary, script] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
        #expect(CommandRunner.classify(Array(binary.utf8)) == .binary && CommandRunner.classify(Array(script.utf8)) == .script)
        // As bash and dash: ELF's magic without a NUL, and a NUL as late as byte 127 of the first line.
        let elf = temporary.path + "/elf", late = temporary.path + "/late"
        try Data([0x7F, 0x45, 0x4C, 0x46] + Array("\nexit 5\n".utf8)).write(to: URL(fileURLWithPath: elf))
        try Data(Array(repeating: UInt8(ascii: "x"), count: 120) + [0] + Array("\n".utf8)).write(to: URL(fileURLWithPath: late))
        #expect(CommandRunner.classify(Array(elf.utf8)) == .binary && CommandRunner.classify(Array(late.utf8)) == .binary)
        #expect(CommandRunner.classify(Array((temporary.path + "/none").utf8)) == .unreadable(ENOENT))
        #expect(CommandRunner.classify(Array((temporary.path + "/plain").utf8)) == .script)  // empty
        #expect(CommandRunner.run([temporary.path]).startFailure == "\(temporary.path): Is a directory")
        // An empty argument is an argument.
        #expect(CommandRunner.run(["sh", "-c", #"test "$#" = 1 && test -z "$1""#, "x", ""]).status == 0)
        let refused = CommandRunner.run([binary])
        #expect(refused.status == 126 && refused.startFailure == "\(binary): cannot execute binary file: Exec format error")
        #expect(CommandRunner.run([script]).status == 5)
        let long = Array(repeating: UInt8(ascii: "x"), count: 3_000) + [10] + Array("last line\n".utf8)
        #expect(CommandRunner.lastLines(long) == "last line\n")
        #expect(CommandRunner.lastLines(Array("short".utf8)) == "short")
    }

    @Test("forwarding standard error: a reader gone closes the command's (it meets the closed pipe); a full one only stops forwarding")
    func forwardingFailures() throws {
        // This process's standard error, replaced for the call and put back (what other tests print
        // meanwhile is lost).
        func withStandardError<T>(_ descriptor: Int32, _ body: () -> T) -> T {
            let saved = dup(2)
            dup2(descriptor, 2)
            defer {
                dup2(saved, 2)
                close(saved)
            }
            return body()
        }
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        close(ends[0])  // the reader is gone
        let gone = withStandardError(ends[1]) { CommandRunner.run(["sh", "-c", "echo one >&2; sleep 0.2; echo two >&2 || exit 9; exit 4"]) }
        close(ends[1])
        // SIGPIPE at its default in the command kills it at "two"; where it was ignored, the write fails.
        #expect(gone.signal == SIGPIPE || gone.status == 9, "\(gone)")
        // A non-blocking standard error whose reader starts late: waited for, none of the command's bytes lost.
        var slow: [Int32] = [-1, -1]
        #expect(pipe(&slow) == 0)
        _ = fcntl(slow[1], F_SETFL, fcntl(slow[1], F_GETFL) | O_NONBLOCK)
        let received = LockedState(0)
        let readEnd = slow[0]
        let reader = Thread {
            Thread.sleep(forTimeInterval: 0.3)
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                // The command's NUL bytes: what other tests print meanwhile (text) lands here too.
                let zeros = chunk[..<count].count { $0 == 0 }
                received.withLock { $0 += zeros }
            }
        }
        reader.start()
        let waited = withStandardError(slow[1]) { CommandRunner.run(["sh", "-c", "head -c 200000 /dev/zero >&2; exit 6"]) }
        close(slow[1])
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        close(slow[0])
        #expect(waited.status == 6)
        #expect(received.withLock { $0 } == 200_000)
        let full = open("/dev/full", O_WRONLY)
        #expect(full >= 0)
        let kept = withStandardError(full) { CommandRunner.run(["sh", "-c", "echo one >&2; echo two >&2; exit 4"]) }
        close(full)
        #expect(kept.status == 4)
        #expect(kept.stderrTail == "one\ntwo\n")

        // Full at first, then with room again: forwarding goes on (it stopped at the first ENOSPC),
        // as the command's own writes would succeed again.
        let temporary = TemporaryDirectory()
        let wrote = temporary.path + "/wrote", go = temporary.path + "/go"
        var room: [Int32] = [-1, -1]
        #expect(pipe(&room) == 0)
        let roomWriteEnd = room[1]
        let fullAgain = open("/dev/full", O_WRONLY)
        let resumed = LockedState<CommandRunner.Outcome?>(nil)
        let saved = dup(2)
        dup2(fullAgain, 2)
        let runner = Thread {
            let outcome = CommandRunner.run(["sh", "-c", "echo lost >&2; : > \"$0\"; while [ ! -e \"$1\" ]; do sleep 0.01; done; printf '\\000resumed\\000' >&2; exit 7", wrote, go])
            resumed.withLock { $0 = outcome }
        }
        runner.start()
        while !FileManager.default.fileExists(atPath: wrote) { Thread.sleep(forTimeInterval: 0.01) }
        Thread.sleep(forTimeInterval: 0.3)  // the relay meets the full device with "lost" (read within 10 ms)
        dup2(roomWriteEnd, 2)
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        while runner.isExecuting || !runner.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        dup2(saved, 2)
        close(saved)
        close(fullAgain)
        close(room[1])
        var landed: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(room[0], $0.baseAddress, $0.count) }
            if count <= 0 { break }
            landed += chunk[..<count]
        }
        close(room[0])
        #expect(resumed.withLock { $0 }?.status == 7)
        // What other tests printed meanwhile lands here too: look for the command's own bytes.
        let marker = Array("\0resumed\0".utf8)
        #expect(landed.indices.contains { landed[$0...].starts(with: marker) }, "\(landed.count) bytes landed")
    }

    /// Writes a report into `directory` and returns its path.
    private func reportFile(_ directory: TemporaryDirectory, _ name: String, _ text: String) throws -> String {
        let path = directory.path + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("report readers: lcov, Cobertura, llvm-cov JSON, warning lines; bad reports name the file")
    func reports() throws {
        let temporary = TemporaryDirectory()
        func file(_ name: String, _ text: String) throws -> String { try reportFile(temporary, name, text) }
        #expect(try QualityReports.lcovCoverage(try file("a.info", "LH:1\nLF:4\nLH:2\nLF:4\n")) == 37.5)
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.lcovCoverage(try file("b.info", "LH:x\n")) }
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.lcovCoverage(try file("c.info", "SF:a\n")) }
        #expect(try QualityReports.coberturaCoverage(try file("c.xml", #"<?xml version="1.0"?><coverage line-rate="0.8125" branch-rate="0">"#)) == 81.25)
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.coberturaCoverage(try file("d.xml", "<report/>")) }
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.coberturaCoverage(try file("e.xml", #"<coverage line-rate="2">"#)) }
        #expect(try QualityReports.llvmCovCoverage(try file("l.json", #"{"data":[{"totals":{"lines":{"count":10,"percent":96.5}}}]}"#)) == 96.5)
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.llvmCovCoverage(try file("m.json", "[]")) }
        #expect(try QualityReports.warningLines(try file("w.txt", "warning: a\nWARNING: b\nok\n")) == 2)
        let missing = #expect(throws: QualityReports.ReadError.self) { try QualityReports.warningLines(temporary.path + "/none") }
        #expect(missing?.description == temporary.path + "/none: No such file or directory")
    }

    @Test("report readers take CRLF and CR line ends, pipes, and Cobertura as XML: comments, quotes, spaces, duplicates")
    func reportsAsWritten() throws {
        let temporary = TemporaryDirectory()
        func file(_ name: String, _ text: String) throws -> String { try reportFile(temporary, name, text) }
        #expect(try QualityReports.warningLines(try file("crlf.txt", "warning: a\r\nwarning: b\r\nwarning: c\r\n")) == 3)
        #expect(try QualityReports.warningLines(try file("cr.txt", "warning: a\rok\rwarning: c")) == 2)
        #expect(try QualityReports.lcovCoverage(try file("crlf.info", "SF:a\r\nLH:3\r\nLF:4\r\nend_of_record\r\n")) == 75)
        // A pipe: what `--lint-output <(swiftlint)` hands over.
        let fifo = temporary.path + "/pipe"
        #expect(mkfifo(fifo, 0o600) == 0)
        let writer = Thread {
            let descriptor = open(fifo, O_WRONLY)
            guard descriptor >= 0 else { return }
            let text = Array("warning: x\nwarning: y\n".utf8)
            _ = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        writer.start()
        #expect(try QualityReports.warningLines(fifo) == 2)
        // Cobertura read as XML.
        #expect(try QualityReports.coberturaCoverage(try file("comment.xml", #"<!-- <coverage line-rate="0.1"/> --><coverage line-rate="0.7"/>"#)) == 70)
        #expect(try QualityReports.coberturaCoverage(try file("prefix.xml", #"<coverage xbranch-line-rate="0.2" line-rate="0.9">"#)) == 90)
        #expect(throws: QualityReports.ReadError.self) {
            try QualityReports.coberturaCoverage(try file("twice.xml", #"<coverage line-rate="0.5" line-rate="0.6">"#))
        }
        // A directory opens but does not read: the error names it.
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.lcovCoverage(temporary.path) }
        // A failures file that cannot be written: the failure is not counted, and says so (nil).
        #expect(RecordingFailures.note(session: "s", root: "r", reason: "x", environment: ["MMM_RECORD_FAILURES": "/proc/self/none/failures.log"]) == nil)
        #expect(try QualityReports.coberturaCoverage(try file("single.xml", "<coverage line-rate='0.25'/>")) == 25)
        #expect(try QualityReports.coberturaCoverage(try file("spaces.xml", #"<?xml version="1.0"?>\#n<!DOCTYPE coverage SYSTEM "x.dtd">\#n<coverage  line-rate = "0.3" />"#)) == 30)
        let twice = #expect(throws: QualityReports.ReadError.self) {
            try QualityReports.coberturaCoverage(try file("twice.xml", #"<coverage line-rate="0.1" line-rate="0.2">"#))
        }
        #expect(twice?.reason.contains("appears twice") == true)
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.coberturaCoverage(try file("nested.xml", #"<report><coverage line-rate="0.5"/></report>"#)) }
        #expect(throws: QualityReports.ReadError.self) { try QualityReports.coberturaCoverage(try file("open.xml", #"<!-- <coverage line-rate="0.5">"#)) }
    }

    @Test("Cobertura's <coverage> element read by hand: a byte-order mark, and elements or attributes cut short, name what is wrong")
    func coberturaEdges() throws {
        let temporary = TemporaryDirectory()
        func file(_ name: String, _ text: String) throws -> String { try reportFile(temporary, name, text) }
        #expect(try QualityReports.coberturaCoverage(try file("bom.xml", "\u{FEFF}<coverage line-rate=\"0.75\"/>")) == 75)
        for (name, text, reason) in [
            ("unclosed.xml", "<coverage line-rate=\"0.5\"", "not closed"), ("novalue.xml", "<coverage line-rate>", "has no value"),
            ("unquoted.xml", "<coverage line-rate=0.5>", "line-rate"), ("cut.xml", "<coverage line-rate=\"0.5", "is not closed"),
        ] {
            let error = #expect(throws: QualityReports.ReadError.self) { try QualityReports.coberturaCoverage(try file(name, text)) }
            #expect(error?.reason.contains(reason) == true, "\(name): \(String(describing: error))")
        }
    }

    @Test("git changes in process: untracked text files count their lines (a last line without its newline too), binary ones only as changed; outside a repository no answer")
    func gitChangesInProcess() throws {
        let repository = try GitRepository()
        let head = try #require(GitChanges.head(in: repository.path))
        try repository.write("a.txt", "one\ntwo\nthree\nfour\n")
        try repository.write("new.txt", "x\ny")  // two lines, the last without a newline
        try repository.write("blob.bin", Data([1, 0, 2]))
        let tracked = try #require(GitChanges.since(head, in: repository.path))
        #expect(tracked.files == 1 && tracked.linesAdded == 1 && tracked.linesRemoved == 0)
        let all = try #require(GitChanges.since(head, in: repository.path, includeUntracked: true))
        #expect(all.files == 3 && all.linesAdded == 3, "\(all)")
        let outside = TemporaryDirectory()
        #expect(GitChanges.since(head, in: outside.path + "/none") == nil)
        #expect(GitChanges.head(in: outside.path) == nil)
    }

    @Test("the failures file's place: $MMM_RECORD_FAILURES, else $XDG_STATE_HOME, else the home directory; its lines hold no tab or line break from a reason")
    func failuresFile() throws {
        #expect(RecordingFailures.path(environment: ["MMM_RECORD_FAILURES": "/x/f.log", "XDG_STATE_HOME": "/s"]) == "/x/f.log")
        #expect(RecordingFailures.path(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"]) == "/s/mmm-record/failures.log")
        #expect(RecordingFailures.path(environment: ["MMM_RECORD_FAILURES": "", "HOME": "/h"]) == "/h/.local/state/mmm-record/failures.log")
        #expect(RecordingFailures.path(environment: [:]) == nil)
        #expect(RecordingFailures.note(session: "s", root: "r", reason: "x", environment: [:]) == nil)
        let temporary = TemporaryDirectory()
        let path = temporary.path + "/failures.log"
        #expect(try RecordingFailures.count(path) == 0)
        #expect(RecordingFailures.note(session: "a\tb", root: "r", reason: "line one\nline two", environment: ["MMM_RECORD_FAILURES": path]) != nil)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.split(separator: "\n").count == 1 && written.split(separator: "\t").count == 4, "\(written)")
        #expect(try RecordingFailures.count(path) == 1)
    }

    @Test("git: HEAD outside a repository is nil; a repository without commits counts from the empty tree")
    func gitEdges() throws {
        let outside = TemporaryDirectory()
        #expect(GitChanges.head(in: outside.path) == nil)
        #expect(GitChanges.since("HEAD", in: outside.path) == nil)
        let repository = TemporaryDirectory()
        _ = GitChanges.git(["init", "-q"], in: repository.path)
        #expect(GitChanges.head(in: repository.path) == GitChanges.emptyTree)
        try Data("a\nb".utf8).write(to: URL(fileURLWithPath: repository.path + "/new.txt"))
        #expect(GitChanges.since(GitChanges.emptyTree, in: repository.path) == GitChanges(files: 0, linesAdded: 0, linesRemoved: 0))
        #expect(GitChanges.since(GitChanges.emptyTree, in: repository.path, includeUntracked: true) == GitChanges(files: 1, linesAdded: 2, linesRemoved: 0))
    }

    @Test("the catalog events carry the names, tags and data the reducers read")
    func catalogEvents() {
        #expect(RecordedEvents.sessionStart(metadata: [("playbook", "p")]).value == .custom(["playbook": "p", "recorded_by": "mmm-record"]))
        #expect(RecordedEvents.sessionEnd(status: "failed").value == .custom(["status": "failed"]))
        #expect(RecordedEvents.iterationBegin(3, head: nil).value == .custom(["head": .null]))
        #expect(RecordedEvents.iterationBegin(3, head: "abc").tags == ["iteration": "3"])
        let end = RecordedEvents.iterationEnd(2, duration: .seconds(5), changes: GitChanges(files: 1, linesAdded: 2, linesRemoved: 3))
        #expect(end.map(\.name) == ["iteration.duration", "git.files_changed", "git.lines_added", "git.lines_removed"])
        #expect(end.map(\.value) == [.timer(.seconds(5)), .counter(1), .counter(2), .counter(3)])
        #expect(RecordedEvents.iterationEnd(2, duration: .zero, changes: nil).count == 1)
        let ok = CommandRunner.Outcome(status: 0, duration: .seconds(1), stderrTail: "", startFailure: nil)
        #expect(RecordedEvents.command("make", iteration: nil, outcome: ok).map(\.tags) == [["command": "make", "status": "ok"]])
        let failed = CommandRunner.Outcome(status: 2, duration: .seconds(1), stderrTail: "boom\n", startFailure: nil)
        let events = RecordedEvents.command("make", iteration: 4, outcome: failed)
        #expect(events.map(\.name) == ["command.duration", "error"])
        #expect(events[1].tags == ["iteration": "4"])
        #expect(events[1].value == .custom(["kind": "make", "message": "make exited with status 2", "exit_status": .integer(2), "stderr_tail": "boom\n"]))
        let signaled = CommandRunner.Outcome(status: 137, duration: .seconds(1), stderrTail: "", signal: 9)
        #expect(RecordedEvents.command("make", iteration: nil, outcome: signaled)[1].value
            == .custom(["kind": "make", "message": "make was killed by signal 9 (status 137)", "exit_status": .integer(137), "signal": .integer(9), "stderr_tail": ""]))
        #expect(RecordedEvents.quality(iteration: 1, [("quality.test_coverage", 50)]).map(\.value) == [.gauge(50)])
    }
}
