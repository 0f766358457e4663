import Foundation
import MMMMetricsCore
@_spi(Benchmarks) import MMMMetricsLog
import MMMMetricsTestSupport
import Testing

/// Where `-o` writes (found by a hostile review: an archive written over a device replaced it, one
/// written over a segment destroyed it, and `export -o` was ignored).
@Suite("mmm-analyze: output paths")
struct OutputPathCommandTests {
    @Test("an output inside the log's session data is refused and the segment stays as it was")
    func insideSessionData() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let segment = try #require(try root.segmentPaths(session: "fixture-cook").first)
        let before = Corrupter.bytes(segment)
        let linked = temporary.path + "/into-log"
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: segment)
        for arguments in [
            ["archive", "--log", root.path, "--session", "fixture-cook", "-o", segment],
            ["archive", "--log", root.path, "--session", "fixture-cook", "-o", linked],
            ["report", "--log", root.path, "--session", "fixture-cook", "-o", segment],
            ["export", "--log", root.path, "-o", segment],
            ["export", "--log", root.path, "--session", "fixture-cook", "--format", "legacy-current", "-o", segment],
        ] {
            let result = try await runAnalyzer(arguments)
            #expect(result.status == 1, "\(arguments)")
            #expect(result.err.contains("refusing to write"), "\(arguments): \(result.err)")
        }
        #expect(Corrupter.bytes(segment) == before)
        #expect(try await runAnalyzer(["verify", "--log", root.path]).status == 0)
    }

    @Test("-o follows a symbolic link and writes the file it names; export -o writes the NDJSON there, not to standard output")
    func linksAndExport() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let target = temporary.path + "/archive-target"
        let link = temporary.path + "/archive-link"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try await runAnalyzer(["export", "--log", link]).out.split(separator: "\n").count == 37)
        let exported = temporary.path + "/events.ndjson"
        let export = try await runAnalyzer(["export", "--log", root.path, "-o", exported])
        #expect(export.status == 0 && export.out.isEmpty)
        let text = try String(contentsOfFile: exported, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 37)
        #expect(text == (try await runAnalyzer(["export", "--log", root.path])).out)
    }

    @Test("an archive written to a character device goes through the device, which stays a device")
    func device() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        // /dev/null: writes succeed and vanish; the node must still be a character device afterwards.
        #expect(try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", "/dev/null"]).status == 0)
        let type = try FileManager.default.attributesOfItem(atPath: "/dev/null")[.type] as? FileAttributeType
        #expect(type == .typeCharacterSpecial)
        let full = try await runAnalyzer(["archive", "--log", root.path, "--session", "fixture-cook", "-o", "/dev/full"])
        #expect(full.status == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/full")[.type] as? FileAttributeType == .typeCharacterSpecial)
    }
}

extension OutputPathCommandTests {
    @Test("a loop of symbolic links as output is an error, not a hang")
    func linkLoop() async throws {
        let temporary = TemporaryDirectory()
        let root = try FixtureLogs.copy("good", into: temporary)
        let loop = temporary.path + "/loop"
        try FileManager.default.createSymbolicLink(atPath: loop, withDestinationPath: loop)
        let result = try await runAnalyzer(["report", "--log", root.path, "--session", "fixture-cook", "-o", loop])
        #expect(result.status == 1)
        #expect(!result.err.isEmpty)
    }
}
