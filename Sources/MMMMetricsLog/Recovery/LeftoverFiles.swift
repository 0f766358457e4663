/// Files a killed writer can leave in a session directory: the temporary `NAME.tmp-PID` of an
/// index being replaced (``FileSystem/writeAtomically(_:_:sync:)``). They are never read, but they
/// would pile up, one per kill at the wrong moment.
enum LeftoverFiles {
    /// Removes the temporary files in a session directory and returns their names. Call it only with
    /// the session's lock held: then no writer of this session is between writing one and renaming it.
    static func removeTemporaries(in directory: String) -> [String] {
        guard let names = try? FileSystem.listDirectory(directory) else { return [] }
        let leftovers = names.filter { $0.contains(".tmp-") }.sorted()
        for name in leftovers { FileSystem.remove(directory + "/" + name) }
        return leftovers
    }
}
