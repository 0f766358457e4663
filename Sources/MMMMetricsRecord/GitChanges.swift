import Foundation

/// What changed in a git work tree since a commit, as `git diff --numstat` counts it.
public struct GitChanges: Sendable, Hashable {
    /// Files changed (binary files included).
    public var files: Int
    /// Lines added (binary files add none).
    public var linesAdded: Int
    /// Lines removed.
    public var linesRemoved: Int

    /// Counts from numbers.
    public init(files: Int, linesAdded: Int, linesRemoved: Int) {
        self.files = files
        self.linesAdded = linesAdded
        self.linesRemoved = linesRemoved
    }

    /// git's empty tree: the base of a repository without commits.
    static let emptyTree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"

    /// The commit `HEAD` names in the work tree at `directory`, the empty tree for a repository
    /// without commits, or `nil` outside a git work tree (or without git).
    public static func head(in directory: String) -> String? {
        guard let inside = git(["rev-parse", "--is-inside-work-tree"], in: directory), inside.trimmed == "true" else { return nil }
        return git(["rev-parse", "--verify", "-q", "HEAD"], in: directory)?.trimmed.nonEmpty ?? emptyTree
    }

    /// Changes between `base` and the work tree at `directory` (`git diff --numstat base`);
    /// untracked files count (each as changed, its lines added) only with `includeUntracked`.
    /// `nil` when git cannot answer.
    public static func since(_ base: String, in directory: String, includeUntracked: Bool = false) -> GitChanges? {
        guard let numstat = git(["diff", "--numstat", base, "--"], in: directory) else { return nil }
        var changes = GitChanges(files: 0, linesAdded: 0, linesRemoved: 0)
        for line in numstat.split(separator: "\n") {
            let fields = line.split(separator: "\t", maxSplits: 2)
            guard fields.count == 3 else { continue }
            changes.files += 1
            changes.linesAdded += Int(fields[0]) ?? 0  // "-" for binary files
            changes.linesRemoved += Int(fields[1]) ?? 0
        }
        if includeUntracked, let untracked = git(["ls-files", "-z", "--others", "--exclude-standard"], in: directory) {
            for path in untracked.split(separator: "\0") {
                changes.files += 1
                guard let data = FileManager.default.contents(atPath: directory + "/" + path), !data.contains(0) else { continue }
                changes.linesAdded += data.reduce(0) { $0 + ($1 == 10 ? 1 : 0) } + (data.last.map { $0 == 10 ? 0 : 1 } ?? 0)
            }
        }
        return changes
    }

    /// git's standard output, or `nil` when it fails or is missing.
    static func git(_ arguments: [String], in directory: String) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git", "-C", directory] + arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    fileprivate var trimmed: String { trimmingCharacters(in: .whitespacesAndNewlines) }
    fileprivate var nonEmpty: String? { isEmpty ? nil : self }
}
